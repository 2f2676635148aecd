"""The consent ledger: every grant, request and withdrawal, never edited; and the state
derived from it, kept in step in the same transaction for fast reading."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from luukku.consent.models.purposes import Purpose, PurposeText


class AppendOnlyError(RuntimeError):
    pass


class Action(models.TextChoices):
    GRANTED = "granted", _("granted")
    REQUESTED = "requested", _("asked for, awaiting confirmation")
    WITHDRAWN = "withdrawn", _("withdrawn")


class Source(models.TextChoices):
    LANDING_PAGE = "landing_page", _("landing page")
    FORM = "form", _("form")
    IMPORT = "import", _("import")
    AGENT = "agent", _("staff member")
    API = "api", _("source system (API)")
    PREFERENCE_CENTER = "preference_center", _("preference center")
    UNSUBSCRIBE_LINK = "unsubscribe_link", _("unsubscribe link")
    ONE_CLICK = "one_click", _("one-click unsubscribe")
    SMS_STOP = "sms_stop", _("SMS STOP")
    BOUNCE = "bounce", _("bounce")
    COMPLAINT = "complaint", _("spam complaint")
    DOUBLE_OPT_IN = "double_opt_in", _("confirmation link")


class ConsentRecord(models.Model):
    """One entry of the ledger: a person's grant, request or withdrawal for a purpose
    (none: all marketing) on a channel (empty: every channel), with where it came from
    and the evidence. Rows are only ever added (a PostgreSQL trigger refuses updates)."""

    person = models.ForeignKey(
        "customers.Person", on_delete=models.CASCADE, related_name="consent_records"
    )
    purpose = models.ForeignKey(
        Purpose, on_delete=models.PROTECT, null=True, blank=True, related_name="records"
    )
    channel = models.CharField(_("channel"), max_length=16, blank=True)
    action = models.CharField(_("action"), max_length=16, choices=Action.choices)
    source = models.CharField(_("source"), max_length=24, choices=Source.choices)
    text = models.ForeignKey(
        PurposeText,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("text shown"),
    )
    occurred_at = models.DateTimeField(_("when"))
    recorded_at = models.DateTimeField(_("recorded"), auto_now_add=True)
    ip = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    user_agent = models.CharField(_("browser"), max_length=400, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("recorded by"),
    )
    # A grant by a confirmation link names the request it confirms (both go only when
    # their person is erased).
    confirms = models.ForeignKey(
        "self", on_delete=models.CASCADE, null=True, blank=True, related_name="confirmed_by"
    )
    evidence = models.JSONField(_("evidence"), default=dict, blank=True)

    class Meta:
        verbose_name = _("consent record")
        verbose_name_plural = _("consent records")
        ordering = ["-occurred_at", "-id"]
        indexes = [models.Index(fields=["person", "-occurred_at"], name="consent_record_person")]

    def __str__(self) -> str:
        return f"{self.person_id} {self.purpose_id or '*'} {self.channel or '*'} {self.action}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None:
            raise AppendOnlyError("The consent ledger cannot be changed.")
        super().save(*args, **kwargs)


class ConsentState(models.Model):
    """Where a person stands now for a purpose (none: all marketing) and channel (empty:
    every channel): the newest deciding record of the ledger, written with it."""

    person = models.ForeignKey(
        "customers.Person", on_delete=models.CASCADE, related_name="consent_states"
    )
    purpose = models.ForeignKey(
        Purpose, on_delete=models.CASCADE, null=True, blank=True, related_name="states"
    )
    channel = models.CharField(max_length=16, blank=True)
    action = models.CharField(max_length=16, choices=Action.choices)
    since = models.DateTimeField()
    record = models.ForeignKey(ConsentRecord, on_delete=models.CASCADE, related_name="+")

    class Meta:
        verbose_name = _("consent state")
        verbose_name_plural = _("consent states")
        constraints = [
            models.UniqueConstraint(
                fields=["person", "purpose", "channel"],
                condition=models.Q(purpose__isnull=False),
                name="consent_state_purpose",
            ),
            models.UniqueConstraint(
                fields=["person", "channel"],
                condition=models.Q(purpose__isnull=True),
                name="consent_state_everything",
            ),
        ]
        indexes = [
            # Segments ask "who has granted purpose P on channel C".
            models.Index(fields=["purpose", "channel", "action"], name="consent_state_lookup"),
        ]

    def __str__(self) -> str:
        return f"{self.person_id} {self.purpose_id or '*'} {self.channel or '*'} {self.action}"
