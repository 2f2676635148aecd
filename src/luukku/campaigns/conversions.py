"""Conversions: a campaign may name a goal event (say `fitness.membership_started`) and
a number of days; such an event on the timeline of a person the campaign was sent to
within those days counts as the campaign's conversion. Every campaign that reached the
person within its window is credited (not only the last one), once per delivery.

Listening costs a set lookup per committed batch of events; only events of a goal
type queue the job that attributes them."""

from __future__ import annotations

import datetime
import time
from collections import Counter
from typing import Any

from django.db import transaction
from django.db.models.signals import post_save
from django.utils import timezone

from luukku.campaigns import stats
from luukku.campaigns.events import event_of
from luukku.campaigns.models import Campaign, Delivery
from luukku.core.jobs import job
from luukku.customers.actions.timeline import append_events, events_appended

GOALS_FOR = 5.0  # seconds a process trusts its list of goal types
_goals: tuple[float, frozenset[str]] | None = None


def goal_types() -> frozenset[str]:
    global _goals
    if _goals is not None and time.monotonic() - _goals[0] < GOALS_FOR:
        return _goals[1]
    found = frozenset(
        Campaign.objects.exclude(goal_event="").values_list("goal_event", flat=True).distinct()
    )
    _goals = (time.monotonic(), found)
    return found


def forget_goals(*_args: Any, **_kwargs: Any) -> None:
    global _goals
    _goals = None


def on_events(sender: Any, appended: list[tuple[int, str]], **_kwargs: Any) -> None:
    goals = goal_types()
    pairs = sorted({(pk, kind) for pk, kind in appended if kind in goals})
    if pairs:
        attribute_conversions.enqueue([list(pair) for pair in pairs])


@job(max_attempts=5, backoff_base=10.0)
def attribute_conversions(pairs: list[list[Any]]) -> int:
    """Credit the campaigns whose message reached each person within their window."""
    now = timezone.now()
    credited = 0
    with transaction.atomic():
        counted: Counter[stats.Key] = Counter()
        events = []
        for person_id, kind in pairs:
            for delivery in (
                Delivery.objects.select_for_update(of=("self",))
                .select_related("run__campaign")
                .filter(
                    person_id=person_id,
                    run__campaign__goal_event=kind,
                    converted_at__isnull=True,
                    sent_at__isnull=False,
                    sent_at__gte=now - datetime.timedelta(days=366),
                )
            ):
                campaign = delivery.run.campaign
                assert delivery.sent_at is not None
                if delivery.sent_at < now - datetime.timedelta(days=campaign.goal_days):
                    continue
                Delivery.objects.filter(pk=delivery.pk).update(converted_at=now)
                counted[stats.key_of(delivery, now, "converted")] += 1
                events.append(event_of(delivery, "campaign.converted", now, goal=kind))
                credited += 1
        stats.bump(counted)
        append_events(events)
    return credited


events_appended.connect(on_events, dispatch_uid="campaigns-conversions")
post_save.connect(forget_goals, sender=Campaign, dispatch_uid="campaigns-goals")
