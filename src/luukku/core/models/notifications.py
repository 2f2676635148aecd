"""Notifications to staff: what the bell shows, and how each was delivered."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Notification(models.Model):
    """One thing a staff member should know, such as a case escalated to them."""

    class Delivery(models.TextChoices):
        NONE = "", _("Not sent")
        DIGEST = "digest", _("In the next digest")
        QUEUED = "queued", _("Queued")
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Failed")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    kind = models.CharField(_("kind"), max_length=40)
    title = models.CharField(_("title"), max_length=300)
    body = models.TextField(_("text"), blank=True)
    link = models.CharField(_("link"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("time"), auto_now_add=True)
    read_at = models.DateTimeField(_("read"), null=True, blank=True)
    email = models.CharField(
        _("email"), max_length=8, choices=Delivery.choices, default=Delivery.NONE, blank=True
    )
    sms = models.CharField(
        _("SMS"), max_length=8, choices=Delivery.choices, default=Delivery.NONE, blank=True
    )
    delivery_error = models.TextField(_("delivery problem"), blank=True)

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(
                fields=["user", "-created_at"],
                name="notification_unread",
                condition=models.Q(read_at__isnull=True),
            ),
        ]

    def __str__(self) -> str:
        return self.title


class NotificationEvent(models.TextChoices):
    NEW_CASE = "new_case", _("A new case in my queues")
    ASSIGNED = "assigned", _("A case is assigned to me")
    CUSTOMER_REPLIED = "customer_replied", _("The customer answered on my case")
    MENTIONED = "mentioned", _("I am mentioned in a note")
    SLA = "sla", _("An SLA deadline of my case is near or passed")


class NotificationPreference(models.Model):
    """How a staff member wants to hear of an event; without a row, their role's default."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notification_preferences"
    )
    event = models.CharField(_("event"), max_length=24, choices=NotificationEvent.choices)
    in_app = models.BooleanField(_("in Luukku"), default=True)
    email = models.BooleanField(_("by email"), default=False)
    digest = models.BooleanField(
        _("email once a day"), default=False, help_text=_("Gather the emails into one a day.")
    )

    class Meta:
        verbose_name = _("notification preference")
        verbose_name_plural = _("notification preferences")
        constraints = [
            models.UniqueConstraint(fields=["user", "event"], name="notification_pref_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.user_id} {self.event}"
