"""Advancing enrolments: the scheduler takes those due (a wait over, a timeout, a held
step to look at again) a batch at a time, moves each through its steps with the
engine, and writes the batch back in one transaction with what the steps did, their
timeline events and the rollups. A batch that fails is rolled back whole and taken
again; rows another scheduler holds are skipped, so schedulers run side by side."""

from __future__ import annotations

import copy
import dataclasses
import datetime
import logging
import time
from collections import Counter
from dataclasses import dataclass, field

from django.db import connection, transaction
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


_numbers: dict[int, int] = {}


def version_number(version_id: int) -> int:
    """A version's number, as events and rollups name it (it never changes)."""
    if version_id not in _numbers:
        _numbers[version_id] = Version.objects.values_list("number", flat=True).get(pk=version_id)
    return _numbers[version_id]


@dataclass
class Moved:
    """What moving states wrote besides the states: gathered over a whole call and written
    once, the rollups in a fixed order (no two transactions wait on each other in a
    circle)."""

    events: list[NewEvent] = field(default_factory=list)
    counts: Counter[store.StatKey] = field(default_factory=Counter)

    def ending(self, journey: Journey, version: int, state: State) -> None:
        """`journey.exited` for one who completed or left, and its count (a goal has its
        own event and count, when heard)."""
        if state.status == "goal":
            return
        ending = store.ending_event(journey, version, state)
        if ending is not None:
            self.events.append(ending)
        store.count_ending(self.counts, journey, version, state)

    def write(self) -> None:
        store.bump(self.counts)
        store.write_events(self.events)
        self.counts.clear()
        self.events.clear()


def move_states(
    journey: Journey,
    pairs: list[tuple[int, State]],
    now: datetime.datetime,
    *,
    moved: Moved | None = None,
) -> Moved:
    """Advance each (version id, state) as far as it goes now and write the states, in the
    caller's transaction; the events and counts are written too unless the caller
    gathers them (`moved`). The states must be locked (or new in this transaction).

    One person's failing step (a deleted queue, a value the field refuses) stays theirs:
    their state goes back to where it was, with the error, to be tried again later."""
    gathering = moved is not None
    moved = moved or Moved()
    by_version: dict[int, list[State]] = {}
    for version_id, state in pairs:
        by_version.setdefault(version_id, []).append(state)
    for version_id, states in by_version.items():
        version = Version.objects.get(pk=version_id)
        defn = definition_of(version_id)
        world = DatabaseWorld(journey, version, states)
        before = {s.id: snapshot(s) for s in states}
        steps: dict[int, list[Taken]] = {}
        for state in states:
            try:
                steps[state.id] = advance(defn, state, world, now)
            except Exception as error:  # a step the engine could not take
                _failed(state, before[state.id], error, now)
        for state_id in _flush(world, journey):
            state = next(s for s in states if s.id == state_id)
            steps.pop(state_id, None)
            _failed(state, before[state_id], world.errors[state_id], now)
        for state in states:
            if state.id in steps:
                _record(
                    journey, version.number, state, steps[state.id], before[state.id].status, moved
                )
        store.save(states, now)
    if not gathering:
        moved.write()
    return moved


def _flush(world: DatabaseWorld, journey: Journey) -> list[int]:
    """Write the steps' effects: all at once, or, when that fails, each person's alone in
    a savepoint; the ids of those whose effects failed."""
    try:
        with transaction.atomic():
            world.flush()
        return []
    except Exception:
        logger.warning("Journey %s: a batch's effects failed; one by one", journey.pk)
    failed = []
    for state in world.states:
        try:
            with transaction.atomic():
                world.flush(only=state.id)
        except Exception as error:
            logger.exception("Journey %s enrolment %s failed", journey.pk, state.id)
            world.errors[state.id] = error
            failed.append(state.id)
    return failed


def snapshot(state: State) -> State:
    """A copy to go back to: every field is immutable but the context."""
    return dataclasses.replace(state, context=copy.deepcopy(state.context))


def _failed(state: State, was: State, error: BaseException, now: datetime.datetime) -> None:
    """Back to where the enrolment was, with the error, due again after a while."""
    for name, value in vars(snapshot(was)).items():
        setattr(state, name, value)
    state.error = f"{type(error).__name__}: {error}"[:500]
    state.due_at = now + RETRY_AFTER


def _record(
    journey: Journey, version: int, state: State, taken: list[Taken], before: str, moved: Moved
) -> None:
    moved.events += store.step_events(journey, version, state, taken)
    store.count_taken(moved.counts, journey, version, taken)
    if before == ACTIVE and state.status != ACTIVE:
        moved.ending(journey, version, state)


def _still_active(journey: Journey) -> bool:
    """The journey's status, read under a share lock held until the batch commits: a
    pause or an archive waits for the batch, and no batch starts after it."""
    with connection.cursor() as cursor:
        lock = " FOR SHARE" if connection.vendor == "postgresql" else ""
        cursor.execute(f"SELECT status FROM journeys_journey WHERE id = %s{lock}", [journey.pk])  # noqa: S608 (a constant)
        row = cursor.fetchone()
    return row is not None and row[0] == Journey.Status.ACTIVE


def advance_due(
    journey: Journey, *, limit: int = BATCH, now: datetime.datetime | None = None
) -> int:
    """One batch of the journey's due enrolments moved on; how many."""
    now = now or timezone.now()
    with transaction.atomic():
        if not _still_active(journey):
            return 0
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
    """Every active journey's due enrolments, batch by batch, for at most `seconds`; a
    journey whose batch fails is left for the next run, the others go on."""
    started = time.monotonic()
    total = 0
    journeys = list(
        Journey.objects.filter(status=Journey.Status.ACTIVE).select_related("org_unit", "purpose")
    )
    while journeys and time.monotonic() - started < seconds:
        busy = []
        for journey in journeys:
            try:
                moved = advance_due(journey, now=now)
            except Exception:
                logger.exception("Journey %s: a batch failed; tried again next run", journey.pk)
                continue
            total += moved
            if moved == BATCH:
                busy.append(journey)
        journeys = busy
    return total
