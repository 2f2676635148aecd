"""Campaigns and their content per channel and language."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from luukku.consent.models import Purpose
from luukku.core.models import OrgUnit
from luukku.segments.models import Segment


class Recurrence(models.TextChoices):
    DAILY = "daily", _("Every day")
    WEEKLY = "weekly", _("Every week")
    MONTHLY = "monthly", _("Every month")


class Campaign(models.Model):
    """A message to the members of some segments (less those of others), for a purpose,
    on a channel or a choice of channels."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        SCHEDULED = "scheduled", _("Scheduled")
        SENDING = "sending", _("Sending")
        FINISHED = "finished", _("Finished")
        CANCELLED = "cancelled", _("Cancelled")

    class Channels(models.TextChoices):
        EMAIL = "email", _("Email")
        SMS = "sms", _("SMS")
        EMAIL_ELSE_SMS = "email_else_sms", _("Email, else SMS if no email")
        PREFERRED = "preferred", _("The person's preferred channel")
        BOTH = "both", _("Email and SMS")

    class Kind(models.TextChoices):
        CAMPAIGN = "campaign", _("Campaign")
        # A journey's message: sent to one person at a time as they reach its step, from
        # an open run that is never finished; not listed among campaigns.
        JOURNEY = "journey", _("Journey message")

    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(max_length=8, choices=Kind.choices, default=Kind.CAMPAIGN)
    org_unit = models.ForeignKey(
        OrgUnit, on_delete=models.PROTECT, related_name="+", verbose_name=_("owning org unit")
    )
    purpose = models.ForeignKey(
        Purpose,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="campaigns",
        verbose_name=_("purpose"),
        help_text=_("Only those the purpose allows to contact get it."),
    )
    segments = models.ManyToManyField(
        Segment, related_name="campaigns", blank=True, verbose_name=_("audience")
    )
    excluded_segments = models.ManyToManyField(
        Segment, related_name="excluded_from", blank=True, verbose_name=_("except")
    )
    channels = models.CharField(
        _("channels"), max_length=16, choices=Channels.choices, default=Channels.EMAIL
    )
    default_language = models.CharField(
        _("default language"),
        max_length=8,
        default="nb",
        help_text=_("For those whose language the content is not written in."),
    )
    status = models.CharField(
        _("status"), max_length=12, choices=Status.choices, default=Status.DRAFT
    )
    scheduled_at = models.DateTimeField(
        _("send at"), null=True, blank=True, help_text=_("Empty: sent when you press Send.")
    )
    per_minute = models.PositiveIntegerField(
        _("messages a minute"),
        null=True,
        blank=True,
        help_text=_(
            "At most this many messages a minute. Empty: as fast as the servers take them."
        ),
    )
    per_domain_per_minute = models.PositiveIntegerField(
        _("messages a minute per receiving domain"),
        null=True,
        blank=True,
        help_text=_("So that no mail provider gets too many at once. Empty: no limit."),
    )
    recurrence = models.CharField(
        _("repeat"), max_length=8, choices=Recurrence.choices, blank=True, default=""
    )
    cron = models.CharField(
        _("or on a schedule"),
        max_length=100,
        blank=True,
        help_text=_("Five fields, as in cron: minute hour day month weekday. E.g. 0 9 * * 1"),
    )
    repeat_until = models.DateField(_("repeat until"), null=True, blank=True)
    quiet_from = models.TimeField(
        _("no SMS from"), null=True, blank=True, help_text=_("In the organization's time zone.")
    )
    quiet_until = models.TimeField(_("no SMS until"), null=True, blank=True)
    goal_event = models.CharField(
        _("goal event"),
        max_length=100,
        blank=True,
        help_text=_("An event type that counts as a conversion, e.g. fitness.membership_started."),
    )
    goal_days = models.PositiveSmallIntegerField(
        _("days to convert"), default=7, help_text=_("How long after sending a goal counts.")
    )
    ab_percent = models.PositiveSmallIntegerField(
        _("A/B test on this share of the audience (%)"),
        null=True,
        blank=True,
        help_text=_("Half get variant A, half B; the winner goes to the rest. Empty: no test."),
    )
    ab_metric = models.CharField(
        _("the winner is chosen by"),
        max_length=8,
        choices=[("open", _("open rate")), ("click", _("click rate"))],
        default="open",
    )
    ab_hours = models.PositiveSmallIntegerField(_("hours before choosing"), default=4)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("campaign")
        verbose_name_plural = _("campaigns")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.name


class Content(models.Model):
    """What a campaign says on one channel in one language."""

    class Format(models.TextChoices):
        MJML = "mjml", "MJML"
        HTML = "html", "HTML"

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="contents")
    channel = models.CharField(_("channel"), max_length=8)  # email or sms
    language = models.CharField(_("language"), max_length=8)
    # "" for the content; "b" for an A/B test's second variant (the first is "").
    variant = models.CharField(_("variant"), max_length=1, blank=True, default="")
    subject = models.CharField(_("subject"), max_length=300, blank=True)
    body_format = models.CharField(
        _("body written in"), max_length=4, choices=Format.choices, default=Format.MJML
    )
    body = models.TextField(_("body"), blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("campaign content")
        verbose_name_plural = _("campaign contents")
        constraints = [
            models.UniqueConstraint(
                fields=["campaign", "channel", "language", "variant"],
                name="campaign_content_once_per_variant",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.campaign_id} {self.channel} {self.language}"


class Run(models.Model):
    """One sending of a campaign: its audience taken as the segments were when it began
    (a recurring campaign has a run per occurrence)."""

    class Status(models.TextChoices):
        PREPARING = "preparing", _("Preparing")
        SENDING = "sending", _("Sending")
        FINISHED = "finished", _("Finished")
        CANCELLED = "cancelled", _("Cancelled")

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="runs")
    status = models.CharField(
        _("status"), max_length=12, choices=Status.choices, default=Status.PREPARING
    )
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    started_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    # An A/B test: the winner is chosen at `ab_until` ("" for A, "b" for B) and sent to
    # the rest, who wait until then.
    ab_until = models.DateTimeField(null=True, blank=True)
    ab_winner = models.CharField(max_length=1, blank=True, default="")
    ab_decided = models.BooleanField(default=False)

    class Meta:
        verbose_name = _("campaign run")
        verbose_name_plural = _("campaign runs")
        ordering = ["-started_at"]

    def __str__(self) -> str:
        return f"{self.campaign} #{self.pk}"


class Delivery(models.Model):
    """One recipient on one channel in one run: the campaign's outbox row. The pair
    (run, person, channel) is its idempotency key: nobody is in a run twice on a channel.

    queued → sending (claimed by a sender) → sent → delivered or bounced; or failed with
    the server's answer; or skipped, with the reason, before anything was sent."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        SENDING = "sending", _("Sending")
        SENT = "sent", _("Sent")
        DELIVERED = "delivered", _("Delivered")
        BOUNCED = "bounced", _("Bounced")
        FAILED = "failed", _("Failed")
        SKIPPED = "skipped", _("Skipped")

    class Reason(models.TextChoices):
        NO_ADDRESS = "no_address", _("No working address")
        NO_CONSENT = "no_consent", _("No consent")
        FREQUENCY_CAP = "frequency_cap", _("Frequency cap reached")
        NO_CONTENT = "no_content", _("No content for the channel")
        CANCELLED = "cancelled", _("Campaign cancelled")

    id = models.BigAutoField(primary_key=True)
    run = models.ForeignKey(Run, on_delete=models.CASCADE, related_name="deliveries")
    person = models.ForeignKey(
        "customers.Person", on_delete=models.CASCADE, related_name="campaign_deliveries"
    )
    channel = models.CharField(max_length=8)
    address = models.CharField(max_length=254, blank=True)
    language = models.CharField(max_length=8)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.QUEUED)
    reason = models.CharField(max_length=16, choices=Reason.choices, blank=True)
    error = models.CharField(max_length=1000, blank=True)  # the server's last answer
    attempts = models.PositiveSmallIntegerField(default=0)
    # The batch that holds the row while it is being sent (see campaigns/sending.py).
    claim = models.BigIntegerField(null=True, blank=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    retry_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    opened_at = models.DateTimeField(null=True, blank=True)
    clicked_at = models.DateTimeField(null=True, blank=True)
    unsubscribed_at = models.DateTimeField(null=True, blank=True)
    complained_at = models.DateTimeField(null=True, blank=True)
    converted_at = models.DateTimeField(null=True, blank=True)
    soft_bounced_at = models.DateTimeField(null=True, blank=True)
    variant = models.CharField(max_length=1, blank=True, default="")
    # What sent it, when a run sends one person several messages (a journey's step, each
    # time an enrolment takes it); "" for a campaign's run.
    occurrence = models.CharField(max_length=40, blank=True, default="", db_default="")

    class Meta:
        verbose_name = _("delivery")
        verbose_name_plural = _("deliveries")
        constraints = [
            models.UniqueConstraint(
                fields=["run", "person", "channel", "occurrence"], name="delivery_once_per_run"
            ),
        ]
        indexes = [
            models.Index(fields=["run", "status"], name="delivery_run_status"),
            models.Index(
                fields=["run", "id"],
                condition=models.Q(status="queued"),
                name="delivery_queued",
            ),
            models.Index(fields=["person", "sent_at"], name="delivery_person_sent"),
        ]

    def __str__(self) -> str:
        return f"{self.run_id}/{self.pk} {self.channel} {self.status}"


class Link(models.Model):
    """A link in a run's email, by its place; a click is redirected here, never to an
    address taken from the request."""

    run = models.ForeignKey(Run, on_delete=models.CASCADE, related_name="links")
    language = models.CharField(max_length=8)
    variant = models.CharField(max_length=1, blank=True, default="")
    position = models.PositiveSmallIntegerField()
    url = models.URLField(max_length=2000)
    clicks = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["run", "language", "variant", "position"], name="link_once_per_place"
            ),
        ]

    def __str__(self) -> str:
        return self.url


class FrequencyCap(models.Model):
    """At most `messages` marketing messages to one person in `days` days, across every
    campaign of the organization; one row, edited by an administrator."""

    messages = models.PositiveIntegerField(
        _("messages at most"), null=True, blank=True, help_text=_("Empty: no cap.")
    )
    days = models.PositiveIntegerField(_("in days"), default=7)

    class Meta:
        verbose_name = _("frequency cap")
        verbose_name_plural = _("frequency caps")

    def __str__(self) -> str:
        return f"{self.messages}/{self.days}d"

    @classmethod
    def current(cls) -> FrequencyCap:
        return cls.objects.order_by("pk").first() or cls(messages=None)


class Stat(models.Model):
    """A run's counts by channel, language, variant and hour, kept as things happen (a
    batch sent, an open, a click), so a report over a million recipients reads a few
    hundred rows. `key` splits a metric further: a link's place, a country, a client."""

    id = models.BigAutoField(primary_key=True)
    run = models.ForeignKey(Run, on_delete=models.CASCADE, related_name="stats")
    channel = models.CharField(max_length=8)
    language = models.CharField(max_length=8)
    variant = models.CharField(max_length=1, blank=True, default="")
    hour = models.DateTimeField()
    metric = models.CharField(max_length=24)
    key = models.CharField(max_length=100, blank=True, default="")
    n = models.BigIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["run", "channel", "language", "variant", "hour", "metric", "key"],
                name="stat_once",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.run_id} {self.metric} {self.key} {self.n}"


class Block(models.Model):
    """A reusable piece of content (a header, a footer with the sender's identity), used
    in any campaign's email with {% include 'key' %} and set in place before the email
    is compiled, so every campaign that uses it changes with it."""

    key = models.SlugField(_("short name"), max_length=64, unique=True)
    name = models.CharField(_("name"), max_length=200)
    org_unit = models.ForeignKey(
        OrgUnit, on_delete=models.PROTECT, related_name="+", verbose_name=_("owning org unit")
    )
    body = models.TextField(
        _("content"), help_text=_("MJML or HTML, with Liquid, like an email's body.")
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("content block")
        verbose_name_plural = _("content blocks")
        ordering = ["key"]

    def __str__(self) -> str:
        return self.name
