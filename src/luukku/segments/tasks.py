"""Segments' jobs: a refresh of persons who changed, and the periodic full evaluation
that catches what time alone changes ("in the last 30 days")."""

from __future__ import annotations

import datetime
import logging

from luukku.core.jobs import job, periodic
from luukku.segments import membership
from luukku.segments.models import Segment
from luukku.segments.services import in_dependency_order

logger = logging.getLogger("luukku.segments")


@job(max_attempts=5, backoff_base=5.0)
def refresh_memberships(person_ids: list[int], kinds: list[str]) -> dict[str, list[int]]:
    """Persons changed (`kinds` of change): move them in or out where that matters."""
    moved = membership.refresh_persons(person_ids, set(kinds))
    return {slug: [len(m.entered), len(m.exited)] for slug, m in moved.items()}


@job(max_attempts=3, backoff_base=30.0, queue_name="bulk")
def evaluate_segment(segment_id: int) -> list[int]:
    """A segment worked out anew (after its rule changed): [entered, exited]."""
    segment = (
        Segment.objects.filter(pk=segment_id, is_active=True).select_related("org_unit").first()
    )
    if segment is None or segment.kind != Segment.Kind.DYNAMIC:
        return [0, 0]
    moves = membership.evaluate_fully(segment)
    return [len(moves.entered), len(moves.exited)]


@periodic(every=datetime.timedelta(minutes=15))
@job(max_attempts=1, queue_name="bulk")
def reconcile_segments() -> dict[str, list[int]]:
    """Every dynamic segment evaluated in full and compared with its members: catches
    what sliding windows and birthdays change, and anything a refresh missed."""
    results = {}
    dynamic = Segment.objects.filter(is_active=True, kind=Segment.Kind.DYNAMIC)
    for segment in in_dependency_order(list(dynamic.select_related("org_unit"))):
        try:
            moves = membership.evaluate_fully(segment)
        except Exception:  # one broken segment does not stop the others
            logger.exception("segment %s could not be evaluated", segment.slug)
            continue
        results[segment.slug] = [len(moves.entered), len(moves.exited)]
    return results
