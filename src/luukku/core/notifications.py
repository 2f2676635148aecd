"""Telling staff: a notification in the app, and by email when asked. (SMS goes through
the channels' SMS adapter: `desk/escalation.py` sends it for escalations.)"""

from __future__ import annotations

from collections.abc import Iterable

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone, translation

from luukku.core.jobs import enqueue_on_commit, job
from luukku.core.middleware import preferred_language
from luukku.core.models import Notification, User


def notify(
    users: Iterable[User],
    *,
    kind: str,
    title: str,
    body: str = "",
    link: str = "",
    email: bool = False,
) -> list[Notification]:
    """One notification per (distinct, active) user; by email too for those with an address."""
    seen: set[int] = set()
    rows = []
    for user in users:
        if user.pk in seen or not user.is_active:
            continue
        seen.add(user.pk)
        rows.append(
            Notification(
                user=user,
                kind=kind,
                title=title[:300],
                body=body,
                link=link,
                email=Notification.Delivery.QUEUED
                if email and user.email
                else Notification.Delivery.NONE,
            )
        )
    created = Notification.objects.bulk_create(rows)
    for row in created:
        if row.email == Notification.Delivery.QUEUED:
            enqueue_on_commit(deliver_notification_email, row.pk)
    return created


def unread_count(user: User) -> int:
    return Notification.objects.filter(user=user, read_at__isnull=True).count()


@transaction.atomic
def mark_read(user: User, notification_ids: list[int] | None = None) -> int:
    """Mark the user's notifications read (the given ones, or all)."""
    rows = Notification.objects.filter(user=user, read_at__isnull=True)
    if notification_ids is not None:
        rows = rows.filter(pk__in=notification_ids)
    return rows.update(read_at=timezone.now())


def record_delivery(notification_id: int, channel: str, status: str, error: str = "") -> None:
    """How an email or SMS of a notification went (called by the sending side)."""
    outcome = {
        "sent": Notification.Delivery.SENT,
        "failed": Notification.Delivery.FAILED,
    }.get(status, Notification.Delivery.QUEUED)
    changes: dict[str, str] = {channel: outcome}
    if error:
        changes["delivery_error"] = f"{channel}: {error}"[:2000]
    Notification.objects.filter(pk=notification_id).update(**changes)


@job(max_attempts=6, backoff_base=30.0)
def deliver_notification_email(notification_id: int) -> str:
    """Send a notification by email, in its reader's language; retried while SMTP fails."""
    row = Notification.objects.select_related("user").filter(pk=notification_id).first()
    if row is None or row.email == Notification.Delivery.SENT:
        return "nothing to send"
    context = {"notification": row, "base_url": settings.LUUKKU_BASE_URL}
    with translation.override(preferred_language(row.user) or settings.LANGUAGE_CODE):
        body = render_to_string("core/email/notification.txt", context)
    try:
        EmailMultiAlternatives(subject=row.title, body=body, to=[row.user.email]).send()
    except Exception as error:
        record_delivery(row.pk, "email", "failed", str(error))
        raise
    record_delivery(row.pk, "email", "sent")
    return "sent"
