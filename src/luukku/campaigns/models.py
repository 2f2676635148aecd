"""Campaigns and their content per channel and language."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from luukku.consent.models import Purpose
from luukku.core.models import OrgUnit
from luukku.segments.models import Segment


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

    name = models.CharField(_("name"), max_length=200)
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
                fields=["campaign", "channel", "language"], name="campaign_content_once"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.campaign_id} {self.channel} {self.language}"
