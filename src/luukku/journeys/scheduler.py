"""Advancing enrolments: the scheduler takes those due (a wait over, a timeout, a held
step to look at again) a batch at a time, moves each through its steps with the
engine, and writes the batch back in one transaction with what the steps did, their
timeline events and the rollups. A batch that fails is rolled back whole and taken
again; rows another scheduler holds are skipped, so schedulers run side by side."""

from __future__ import annotations

import datetime
import logging
import time
from collections import Counter
from dataclasses import dataclass, field

from django.db import transaction
from django.utils import timezone

from luukku.customers.actions.timeline import NewEvent
from luukku.journeys import definition as d
from luukku.journeys import store
from luukku.journeys.engine import ACTIVE, State, Taken, advance
from luukku.journeys.models import Enrolment, Journey, Version
from luukku.journeys.world import DatabaseWorld

logger = logging.getLogger("luukku.journeys")

BATCH = 1000
# An enrolment whose step failed (a deleted queue, say) is tried again after this.
RETRY_AFTER = datetime.timedelta(hours=1)

_definitions: dict[int, d.Definition] = {}


def definition_of(version_id: int) -> d.Definition:
    """A version's parsed definition (versions persons are in never change)."""
    if version_id not in _definitions:
        raw = Version.objects.values_list("definition", flat=True).get(pk=version_id)
        _definitions[version_id] = d.parse(raw)
    return _definitions[version_id]


@dataclass
class Moved:
    """What moving a batch wrote, besides the states."""

    events: list[NewEvent] = field(default_factory=list)
    counts: Counter[store.StatKey] = field(default_factory=Counter)


def move_states(
    journey: Journey,
    pairs: list[tuple[int, State]],
    now: datetime.datetime,
    *,
    moved: Moved | None = None,
) -> Moved:
    """Advance each (version id, state) as far as it goes now and write everything, in
    the caller's transaction. The states must be locked (or new in this transaction)."""
    moved = moved or Moved()
    by_version: dict[int, list[State]] = {}
    for version_id, state in pairs:
        by_version.setdefault(version_id, []).append(state)
    for version_id, states in by_version.items():
        version = Version.objects.get(pk=version_id)
        defn = definition_of(version_id)
        world = DatabaseWorld(journey, version, states)
        steps: list[tuple[State, list[Taken], str]] = []
        for state in states:
            before = state.status
            try:
                taken = advance(defn, state, world, now)
            except Exception as error:  # one person's step, not the batch
                logger.exception("Journey %s enrolment %s failed", journey.pk, state.id)
                state.error = f"{type(error).__name__}: {error}"[:500]
                state.due_at = now + RETRY_AFTER
                taken = []
            steps.append((state, taken, before))
        world.flush()
        for state, taken, before in steps:
            _record(journey, version.number, state, taken, before, moved)
        store.save(states, now)
    store.bump(moved.counts)
    store.write_events(moved.events)
    moved.counts.clear()
    moved.events.clear()
    return moved


def _record(
    journey: Journey, version: int, state: State, taken: list[Taken], before: str, moved: Moved
) -> None:
    moved.events += store.step_events(journey, version, state, taken)
    store.count_taken(moved.counts, journey, version, taken)
    if before == ACTIVE and state.status not in (ACTIVE, "goal"):  # a goal counts when heard
        ending = store.ending_event(journey, version, state)
        if ending is not None:
            moved.events.append(ending)
        assert state.ended_at is not None
        moved.counts[(journey.pk, version, "", state.status, state.ended_at.date())] += 1


def advance_due(
    journey: Journey, *, limit: int = BATCH, now: datetime.datetime | None = None
) -> int:
    """One batch of the journey's due enrolments moved on; how many."""
    now = now or timezone.now()
    with transaction.atomic():
        rows = (
            Enrolment.objects.select_for_update(skip_locked=True)
            .filter(journey=journey, status=ACTIVE, due_at__lte=now)
            .order_by("due_at")[:limit]
        )
        pairs = [(version_id, state) for _, version_id, state in store.load(rows)]
        if pairs:
            move_states(journey, pairs, now)
    return len(pairs)


def advance_all_due(*, seconds: float = 50.0, now: datetime.datetime | None = None) -> int:
    """Every active journey's due enrolments, batch by batch, for at most `seconds`."""
    started = time.monotonic()
    total = 0
    journeys = list(
        Journey.objects.filter(status=Journey.Status.ACTIVE).select_related("org_unit", "purpose")
    )
    busy = True
    while busy and time.monotonic() - started < seconds:
        busy = False
        for journey in journeys:
            moved = advance_due(journey, now=now)
            total += moved
            busy = busy or moved == BATCH
    return total
