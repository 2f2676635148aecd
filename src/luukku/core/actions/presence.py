from __future__ import annotations

import datetime

from django.db import transaction
from django.utils import timezone

from luukku.core.actions import audit
from luukku.core.models import AuditEntry, Presence, User

# Idle staff drift to "away" and then "offline"; any request brings them back.
IDLE_AFTER = datetime.timedelta(minutes=10)
OFFLINE_AFTER = datetime.timedelta(hours=2)
SEEN_RESOLUTION = datetime.timedelta(seconds=60)


@transaction.atomic
def set_presence(user: User, *, presence: str, by: User | None) -> User:
    previous = user.presence
    user.presence = Presence(presence)
    user.presence_set_at = timezone.now()
    user.presence_is_automatic = False
    user.save(update_fields=["presence", "presence_set_at", "presence_is_automatic"])
    if previous != user.presence:
        audit.record(
            actor=by,
            action=AuditEntry.Action.UPDATE,
            obj=user,
            org_unit=user.primary_unit(),
            changes={"presence": [previous, user.presence]},
        )
    return user


def record_activity(user: User, *, now: datetime.datetime | None = None) -> None:
    """Note that `user` is active; restore a presence that idleness had changed."""
    now = now or timezone.now()
    if user.last_seen_at and now - user.last_seen_at < SEEN_RESOLUTION:
        return
    fields = ["last_seen_at"]
    user.last_seen_at = now
    if user.presence_is_automatic and user.presence in (Presence.AWAY, Presence.OFFLINE):
        user.presence = Presence.AVAILABLE
        user.presence_is_automatic = False
        user.presence_set_at = now
        fields += ["presence", "presence_is_automatic", "presence_set_at"]
    User.objects.filter(pk=user.pk).update(**{f: getattr(user, f) for f in fields})


def mark_idle_users(*, now: datetime.datetime | None = None) -> int:
    """Move idle available staff to away, then to offline. Returns how many changed.

    Only an "available" presence is changed: one chosen by hand (busy on a long call,
    away at a meeting) stays as its owner set it.
    """
    now = now or timezone.now()
    to_away = User.objects.filter(
        presence=Presence.AVAILABLE, last_seen_at__lt=now - IDLE_AFTER
    ).update(presence=Presence.AWAY, presence_is_automatic=True, presence_set_at=now)
    to_offline = User.objects.filter(
        presence=Presence.AWAY, presence_is_automatic=True, last_seen_at__lt=now - OFFLINE_AFTER
    ).update(presence=Presence.OFFLINE, presence_is_automatic=True, presence_set_at=now)
    return to_away + to_offline


def is_absent(user: User, day: datetime.date) -> bool:
    return user.absences.filter(starts_on__lte=day, ends_on__gte=day).exists()


def is_on_duty(user: User, at: datetime.datetime, tz: datetime.tzinfo) -> bool:
    """Present, not absent, and inside working hours (when any are set) at `at`."""
    if user.presence != Presence.AVAILABLE or not user.is_active:
        return False
    local = at.astimezone(tz)
    if is_absent(user, local.date()):
        return False
    hours = list(user.working_hours.filter(weekday=local.weekday()))
    if not hours and not user.working_hours.exists():
        return True
    return any(h.starts <= local.time() < h.ends for h in hours)
