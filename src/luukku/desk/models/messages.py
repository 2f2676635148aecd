"""What was said on a case: inbound and outbound messages and internal notes."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from luukku.desk.models.cases import Case, CaseChannel


class Direction(models.TextChoices):
    INBOUND = "inbound", _("From the customer")
    OUTBOUND = "outbound", _("To the customer")
    NOTE = "note", _("Internal note")


class Delivery(models.TextChoices):
    """Where an outbound message is on its way; inbound messages and notes have none."""

    NONE = "", _("Not sent")
    QUEUED = "queued", _("Queued")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Failed")
    BOUNCED = "bounced", _("Bounced")


class Message(models.Model):
    """One message. Internal notes are never sent and never shown to the customer."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="messages")
    direction = models.CharField(_("direction"), max_length=16, choices=Direction.choices)
    channel = models.CharField(_("channel"), max_length=16, choices=CaseChannel.choices)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("author"),
    )
    sender = models.CharField(_("sender"), max_length=320, blank=True)
    recipients = models.JSONField(_("recipients"), default=list, blank=True)
    subject = models.CharField(_("subject"), max_length=300, blank=True)
    body_text = models.TextField(_("text"), blank=True)
    # Sanitized when stored; shown as is.
    body_html = models.TextField(blank=True)
    delivery = models.CharField(
        _("delivery"), max_length=16, choices=Delivery.choices, default=Delivery.NONE, blank=True
    )
    delivery_error = models.TextField(blank=True)
    # Channel threading data (for email: Message-ID, In-Reply-To, References).
    external_id = models.CharField(max_length=998, blank=True, db_index=True)
    thread_refs = models.JSONField(default=list, blank=True)
    threading_reason = models.CharField(max_length=300, blank=True)
    # What arrived but could not be kept (an attachment over the limit), for the agent.
    problems = models.TextField(blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)

    class Meta:
        verbose_name = _("message")
        verbose_name_plural = _("messages")
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["case", "created_at"], name="message_case_time")]

    def __str__(self) -> str:
        return f"{self.get_direction_display()} {self.subject}"


class Attachment(models.Model):
    """A file that came with a message, kept in Django's storage under a name of our own
    (the sender's file name is only shown). Its type is read from its first bytes, not
    taken from the sender."""

    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="attachments")
    file = models.FileField(upload_to="attachments/%Y/%m/", max_length=200)
    filename = models.CharField(_("file name"), max_length=200)
    content_type = models.CharField(_("type"), max_length=100)
    size = models.PositiveBigIntegerField(_("size"))
    content_id = models.CharField(max_length=200, blank=True)  # for cid: images in the HTML
    inline = models.BooleanField(default=False)

    class Meta:
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")
        ordering = ["pk"]

    def __str__(self) -> str:
        return self.filename
