"""What the channel layer keeps: mailboxes and every message that arrived, as received."""

from __future__ import annotations

import datetime

from django.core.validators import RegexValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from luukku.core.models import OrgUnit

# An IMAP watcher shows itself at least every 30 s; three missed beats mean it is gone.
IMAP_WATCHED_WITHIN = datetime.timedelta(seconds=90)


class Mailbox(models.Model):
    """An email address customers write to, owned by an org unit."""

    address = models.EmailField(_("address"), unique=True)
    name = models.CharField(
        _("sender name"), max_length=100, help_text=_("Shown as the sender of replies.")
    )
    org_unit = models.ForeignKey(
        OrgUnit, on_delete=models.PROTECT, related_name="+", verbose_name=_("org unit")
    )
    is_active = models.BooleanField(_("active"), default=True)
    acknowledge = models.BooleanField(
        _("acknowledge new cases"),
        default=True,
        help_text=_("Answer a new case's first mail at once with its case number."),
    )

    # Fetching from an IMAP server, when mail is not delivered to our SMTP receiver.
    class ImapSecurity(models.TextChoices):
        SSL = "ssl", _("IMAPS (TLS from the start)")
        STARTTLS = "starttls", _("STARTTLS")
        NONE = "none", _("None (only on a trusted network)")

    imap_host = models.CharField(_("IMAP server"), max_length=200, blank=True)
    imap_port = models.PositiveIntegerField(_("IMAP port"), default=993)
    imap_security = models.CharField(
        _("IMAP security"), max_length=16, choices=ImapSecurity.choices, default=ImapSecurity.SSL
    )
    imap_username = models.CharField(_("IMAP user"), max_length=200, blank=True)
    imap_password_env = models.CharField(
        _("IMAP password variable"),
        max_length=100,
        blank=True,
        help_text=_(
            "The environment variable that holds the password; passwords are not kept in "
            "the database."
        ),
    )
    imap_folder = models.CharField(_("IMAP folder"), max_length=200, default="INBOX")
    imap_done_folder = models.CharField(
        _("move fetched mail to"),
        max_length=200,
        blank=True,
        help_text=_("Empty: fetched mail is only marked as read."),
    )
    imap_checked_at = models.DateTimeField(null=True, blank=True, editable=False)
    # Set while a receiver keeps an IDLE connection open; the poller leaves it alone then.
    imap_watched_at = models.DateTimeField(null=True, blank=True, editable=False)
    imap_error = models.TextField(blank=True, editable=False)

    class Meta:
        verbose_name = _("mailbox")
        verbose_name_plural = _("mailboxes")
        ordering = ["address"]

    def __str__(self) -> str:
        return f"{self.name} <{self.address}>"

    @property
    def imap_is_watched(self) -> bool:
        """A receiver holds an IDLE connection: mail is taken in as it arrives."""
        watched = self.imap_watched_at
        return watched is not None and watched >= timezone.now() - IMAP_WATCHED_WITHIN


class InboundReceipt(models.Model):
    """A message as it arrived, kept before anything else happens to it: the same message
    delivered twice is recognized here, and one that could not be handled waits here,
    with its error, for an administrator to retry."""

    class Status(models.TextChoices):
        RECEIVED = "received", _("Received")
        HANDLED = "handled", _("Handled")
        IGNORED = "ignored", _("Ignored")
        FAILED = "failed", _("Failed")

    channel = models.CharField(max_length=16)
    mailbox = models.ForeignKey(
        Mailbox, on_delete=models.PROTECT, null=True, blank=True, related_name="receipts"
    )
    external_id = models.CharField(max_length=998, blank=True)
    raw = models.BinaryField()
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.RECEIVED)
    outcome = models.CharField(max_length=300, blank=True)  # e.g. "case 1042: new case"
    error = models.TextField(blank=True)
    received_at = models.DateTimeField(auto_now_add=True)
    handled_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("inbound message")
        verbose_name_plural = _("inbound messages")
        constraints = [
            # The same Message-ID delivered to the same mailbox again creates nothing.
            models.UniqueConstraint(
                fields=["mailbox", "external_id"],
                condition=~models.Q(external_id=""),
                name="receipt_once_per_mailbox",
            )
        ]
        indexes = [models.Index(fields=["status", "received_at"], name="receipt_status")]

    def __str__(self) -> str:
        return f"{self.channel} {self.external_id or self.pk}"


class OutboundEmail(models.Model):
    """One email waiting to go, being sent, sent or given up: the durable outbox.

    A row is sent at most once: it is marked *sending* (committed) before the SMTP
    conversation, so an attempt cut off mid-conversation is not repeated blindly
    (the mail may have left) but reported for a person to decide.
    """

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        SENDING = "sending", _("Sending")
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Failed")

    mailbox = models.ForeignKey(Mailbox, on_delete=models.PROTECT, related_name="outbound")
    to = models.JSONField(default=list)
    subject = models.CharField(max_length=998)
    text = models.TextField()
    message_id = models.CharField(max_length=998, unique=True)
    in_reply_to = models.CharField(max_length=998, blank=True)
    references = models.JSONField(default=list, blank=True)
    headers = models.JSONField(default=dict, blank=True)  # further headers, e.g. Auto-Submitted
    # Files in the default storage: [{"path", "filename", "content_type"}], kept by the
    # app that queued the mail for as long as its message exists.
    attachments = models.JSONField(default=list, blank=True)
    # Who to tell how it went: "<kind>:<id>", e.g. "desk.message:42" (channels/handlers.py).
    origin = models.CharField(max_length=100, blank=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.QUEUED)
    error = models.TextField(blank=True)
    attempts = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    claimed_at = models.DateTimeField(null=True, blank=True)  # when the last attempt began
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("outgoing email")
        verbose_name_plural = _("outgoing email")
        indexes = [models.Index(fields=["status", "created_at"], name="outbound_status")]

    def __str__(self) -> str:
        return f"{self.message_id} {self.status}"


class OutboundSms(models.Model):
    """One text message waiting to go, sent, or given up: the SMS outbox.

    Sent through the provider configured by `LUUKKU_SMS_URL` (channels/sms/provider.py);
    `provider_id` is the provider's id for it once accepted.
    """

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        SENDING = "sending", _("Sending")
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Failed")

    to = models.CharField(_("to"), max_length=20, help_text="E.164")
    text = models.TextField(_("text"))
    origin = models.CharField(max_length=100, blank=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.QUEUED)
    error = models.TextField(blank=True)
    attempts = models.PositiveIntegerField(default=0)
    provider_id = models.CharField(max_length=100, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("outgoing SMS")
        verbose_name_plural = _("outgoing SMS")
        indexes = [models.Index(fields=["status", "created_at"], name="outbound_sms_status")]

    def __str__(self) -> str:
        return f"{self.to} {self.status}"


class SmsSender(models.Model):
    """The name (or number) an org unit's text messages come from, e.g. "SiO Trening";
    units without one use their parent's, and the top the configured default."""

    org_unit = models.OneToOneField(
        OrgUnit, on_delete=models.CASCADE, related_name="sms_sender", verbose_name=_("org unit")
    )
    sender = models.CharField(
        _("SMS sender"),
        max_length=16,
        help_text=_("A number in E.164 (+4791234567) or a name of at most 11 letters and digits."),
        validators=[
            RegexValidator(
                r"^(\+[1-9][0-9]{6,14}|[A-Za-z0-9 ]{1,11})$",
                _("A number in E.164 or a name of at most 11 letters, digits and spaces."),
            )
        ],
    )

    class Meta:
        verbose_name = _("SMS sender")
        verbose_name_plural = _("SMS senders")

    def __str__(self) -> str:
        return f"{self.org_unit}: {self.sender}"

    @classmethod
    def for_unit(cls, unit: OrgUnit) -> str:
        """The sender of the unit, or of the nearest unit above it that has one; "" if none."""
        nearest_first = list(reversed(unit.path_ids()))
        found = dict(
            cls.objects.filter(org_unit_id__in=nearest_first).values_list("org_unit_id", "sender")
        )
        return next((found[pk] for pk in nearest_first if pk in found), "")
