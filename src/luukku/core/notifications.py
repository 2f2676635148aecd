"""Telling staff: a notification in the app, and by email when asked. (SMS goes through
the channels' SMS adapter: `desk/escalation.py` sends it for escalations.)"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.db.models import Min, Q
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from luukku.core.jobs import enqueue_on_commit, job, periodic
from luukku.core.live import push_on_commit
from luukku.core.middleware import preferred_language
from luukku.core.models import (
    Membership,
    Notification,
    NotificationEvent,
    NotificationPreference,
    Role,
    User,
)


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
    return _write(rows)


def _write(rows: list[Notification]) -> list[Notification]:
    """Save the notifications at once; those to mail now go to the email job."""
    created = Notification.objects.bulk_create(rows)
    for row in created:
        if row.email == Notification.Delivery.QUEUED:
            enqueue_on_commit(deliver_notification_email, row.pk)
    for user_id in {row.user_id for row in created if row.read_at is None}:
        _ring(user_id)
    return created


def notifications_group(user_id: int) -> str:
    """Where the pushes to a person's notification bells go."""
    return f"core.notifications.{user_id}"


def _ring(user_id: int) -> None:
    """The person's open pages update their bell once this commits."""
    push_on_commit(notifications_group(user_id), {"type": "live.changed"})


# Without a preference of their own: (in the app, by email) per event, for anyone who
# works cases; a new case in one's queues is opt-in (it can be many a day).
DEFAULTS: dict[str, tuple[bool, bool]] = {
    NotificationEvent.NEW_CASE: (False, False),
    NotificationEvent.ASSIGNED: (True, True),
    NotificationEvent.CUSTOMER_REPLIED: (True, False),
    NotificationEvent.MENTIONED: (True, True),
    NotificationEvent.SLA: (True, False),
}
CASE_ROLES = (Role.AGENT, Role.SUPERVISOR, Role.FIELD_WORKER, Role.ADMINISTRATOR)


@dataclass(frozen=True)
class Wish:
    in_app: bool
    email: bool
    digest: bool


def wishes(users: Iterable[User], event: str) -> dict[int, Wish]:
    """How each user wants to hear of `event`: their own choice, else the default."""
    people = {u.pk: u for u in users}
    chosen = {
        p.user_id: Wish(p.in_app, p.email, p.digest)
        for p in NotificationPreference.objects.filter(user_id__in=list(people), event=event)
    }
    in_app, email = DEFAULTS.get(event, (True, False))
    return {pk: chosen.get(pk, Wish(in_app, email, False)) for pk in people}


def opted_in(event: str, unit_ids: list[int]) -> list[User]:
    """Staff of the units who chose to hear of `event` (for opt-in events)."""
    members = Membership.objects.filter(org_unit_id__in=unit_ids, role__in=CASE_ROLES)
    chosen = NotificationPreference.objects.filter(event=event).filter(
        Q(in_app=True) | Q(email=True)
    )
    return list(
        User.objects.filter(
            is_active=True, memberships__in=members, notification_preferences__in=chosen
        ).distinct()
    )


@dataclass(frozen=True)
class News:
    """What one person is to be told."""

    user: User
    title: str
    body: str = ""
    link: str = ""


def notify_event(
    users: Iterable[User], *, event: str, title: str, body: str = "", link: str = ""
) -> list[Notification]:
    """Tell each user of an event as they wish: in the app, by email now or in the digest."""
    people = {u.pk: u for u in users}.values()
    return notify_each(event, [News(u, title, body, link) for u in people])


def notify_each(event: str, news: Sequence[News]) -> list[Notification]:
    """Each of the news, to its person as they wish to hear of `event` (one query for
    their wishes, one statement for the notifications, however many)."""
    news = [n for n in news if n.user.is_active]
    wished = wishes([n.user for n in news], event)
    rows = []
    for item in news:
        wish = wished[item.user.pk]
        if not (wish.in_app or wish.email):
            continue
        email = Notification.Delivery.NONE
        if wish.email and item.user.email:
            email = Notification.Delivery.DIGEST if wish.digest else Notification.Delivery.QUEUED
        rows.append(
            Notification(
                user=item.user,
                kind=event,
                title=item.title[:300],
                body=item.body,
                link=item.link,
                email=email,
                read_at=None if wish.in_app else timezone.now(),  # email only: not in the bell
            )
        )
    return _write(rows)


@transaction.atomic
def set_wishes(user: User, chosen: dict[str, Wish]) -> None:
    """Keep a person's choices of how to hear of each event."""
    for event, wish in chosen.items():
        if event not in NotificationEvent.values:
            raise ValueError(f"unknown event: {event}")
        NotificationPreference.objects.update_or_create(
            user=user,
            event=event,
            defaults={"in_app": wish.in_app, "email": wish.email, "digest": wish.digest},
        )


def unread_count(user: User) -> int:
    return Notification.objects.filter(user=user, read_at__isnull=True).count()


@transaction.atomic
def mark_read(user: User, notification_ids: list[int] | None = None) -> int:
    """Mark the user's notifications read (the given ones, or all)."""
    rows = Notification.objects.filter(user=user, read_at__isnull=True)
    if notification_ids is not None:
        rows = rows.filter(pk__in=notification_ids)
    marked = rows.update(read_at=timezone.now())
    if marked:
        _ring(user.pk)
    return marked


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


DIGEST_EVERY = datetime.timedelta(hours=24)


@periodic(every=datetime.timedelta(hours=1))
@job(max_attempts=3)
def send_email_digests() -> int:
    """One email a day per person with what they chose to get gathered: sent when their
    oldest waiting notification is a day old. Returns how many digests left."""
    due = (
        Notification.objects.filter(email=Notification.Delivery.DIGEST)
        .values("user_id")
        .annotate(oldest=Min("created_at"))
        .filter(oldest__lte=timezone.now() - DIGEST_EVERY)
        .values_list("user_id", flat=True)
    )
    sent = 0
    for user in User.objects.filter(pk__in=list(due), is_active=True).exclude(email=""):
        rows = list(Notification.objects.filter(user=user, email=Notification.Delivery.DIGEST))
        context = {"user": user, "notifications": rows, "base_url": settings.LUUKKU_BASE_URL}
        with translation.override(preferred_language(user) or settings.LANGUAGE_CODE):
            subject = _("Luukku: %(count)s notifications") % {"count": len(rows)}
            body = render_to_string("core/email/digest.txt", context)
        EmailMultiAlternatives(subject=subject, body=body, to=[user.email]).send()
        Notification.objects.filter(pk__in=[r.pk for r in rows]).update(
            email=Notification.Delivery.SENT
        )
        sent += 1
    return sent
