"""Listening for changes to people: every change reaches the timeline (a profile edit, a
consent, a case, an ingested event), so one listener hears them all. Only a change that
some dynamic segment depends on queues a refresh; the rest costs a set lookup."""

from __future__ import annotations

import time
from typing import Any

from django.db.models.signals import post_delete, post_save

from luukku.customers.actions.timeline import events_appended
from luukku.segments.membership import kinds_of
from luukku.segments.models import Segment

WATCH_SECONDS = 5.0  # other processes see a new segment's interests within this
_watched: tuple[float, frozenset[str]] | None = None


def watched() -> frozenset[str]:
    """Every kind of change some active dynamic segment depends on."""
    global _watched
    if _watched is not None and time.monotonic() - _watched[0] < WATCH_SECONDS:
        return _watched[1]
    kinds: set[str] = set()
    for depends in Segment.objects.filter(is_active=True, kind=Segment.Kind.DYNAMIC).values_list(
        "depends_on", flat=True
    ):
        kinds.update(depends)
    _watched = (time.monotonic(), frozenset(kinds))
    return _watched[1]


def forget_watched(*_args: Any, **_kwargs: Any) -> None:
    global _watched
    _watched = None


post_save.connect(forget_watched, sender=Segment, dispatch_uid="segments-watched")
post_delete.connect(forget_watched, sender=Segment, dispatch_uid="segments-watched-d")

BATCH = 2000  # persons per refresh job


def on_events(sender: Any, appended: list[tuple[int, str]], **_kwargs: Any) -> None:
    """Events committed: queue a refresh of their persons if a segment cares."""
    interests = watched()
    if not interests:
        return
    relevant = {t for t in {kind for _pk, kind in appended} if kinds_of([t]) & interests}
    if not relevant:
        return
    from luukku.segments.tasks import refresh_memberships

    kinds = kinds_of(relevant) & interests
    persons = sorted({pk for pk, kind in appended if kind in relevant})
    for start in range(0, len(persons), BATCH):
        refresh_memberships.enqueue(persons[start : start + BATCH], sorted(kinds))


events_appended.connect(on_events, dispatch_uid="segments-on-events")
