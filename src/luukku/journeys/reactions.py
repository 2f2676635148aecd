"""Events reaching journeys: an event some journey reacts to (an entry, a goal, an exit,
what a step waits for) is written to the journeys' inbox in the very transaction that
stores it on the timeline, with the job that hears it; the job takes inbox rows a
batch at a time (SKIP LOCKED), and in one transaction enrols, ends or wakes the
enrolments concerned, moves them on as far as they go, and deletes the rows. An event
is thus heard exactly once, even if a process dies between the two."""

from __future__ import annotations

import datetime
import logging
import time
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, connection, transaction
from django.db.models.signals import post_save
from django.utils import timezone

from luukku.core.jobs import enqueue_unless_waiting, job
from luukku.customers.actions.timeline import NewEvent, events_stored
from luukku.customers.models import Person
from luukku.journeys import definition as d
from luukku.journeys import store
from luukku.journeys.engine import ACTIVE, State
from luukku.journeys.hearing import hear
from luukku.journeys.models import Enrolment, Inbox, Journey, Version
from luukku.journeys.scheduler import Moved, definition_of, move_states, version_number
from luukku.segments.compiler import scope_of

logger = logging.getLogger("luukku.journeys")

HEAR_PRIORITY = 50  # before the default lane's other jobs: a goal is heard at once
BATCH = 500
LISTEN_FOR = 5.0  # seconds a process trusts what it knows of journeys' event types


@dataclass(frozen=True)
class Interests:
    types: frozenset[str]  # goals, exits, waits, holds of versions persons are in
    entries: dict[str, list[int]]  # event type: journeys it enrols in


_interests: tuple[float, Interests] | None = None


def interests() -> Interests:
    global _interests
    if _interests is not None and time.monotonic() - _interests[0] < LISTEN_FOR:
        return _interests[1]
    types: set[str] = set()
    entries: dict[str, list[int]] = defaultdict(list)
    live = Journey.objects.filter(status__in=[Journey.Status.ACTIVE, Journey.Status.PAUSED])
    for journey_id, status, current in live.values_list("pk", "status", "current_id"):
        for version in Version.objects.filter(journey_id=journey_id, activated_at__isnull=False):
            defn = definition_of(version.pk)
            types |= defn.event_types()
            found = d.entry_event(defn.entry)
            if found and version.pk == current and status == Journey.Status.ACTIVE:
                entries[found[0]].append(journey_id)
    _interests = (time.monotonic(), Interests(frozenset(types | set(entries)), dict(entries)))
    return _interests[1]


def forget_interests(*_args: Any, **_kwargs: Any) -> None:
    global _interests
    _interests = None


def on_stored(sender: Any, events: list[NewEvent], **_kwargs: Any) -> None:
    """Inside the storing transaction: keep the events journeys react to, and queue the
    job that hears them unless one waits already."""
    wanted = interests().types
    rows = [
        Inbox(person_id=e.person_id, type=e.type, occurred_at=e.occurred_at, payload=e.payload)
        for e in events
        if e.type in wanted and e.source != "journeys"
    ]
    if rows:
        Inbox.objects.bulk_create(rows)
        enqueue_unless_waiting(hear_events, priority=HEAR_PRIORITY)


# Each person's earliest row only: a later one waits until the earlier is heard (by this
# job's next batch, or by another job holding it), so a person's events are heard in
# the order they were stored.
TAKE = """
SELECT id FROM journeys_inbox AS i
WHERE NOT EXISTS (
    SELECT 1 FROM journeys_inbox AS e WHERE e.person_id = i.person_id AND e.id < i.id
)
ORDER BY id LIMIT %s {lock}
"""


@job(max_attempts=5, backoff_base=5.0)
def hear_events() -> int:
    """Hear what is in the inbox, a batch at a time, until it is empty (or only rows
    waiting for another job's are left: then again in a second)."""
    heard = 0
    while True:
        with transaction.atomic():
            rows = _take()
            if not rows:
                if Inbox.objects.exists():
                    hear_events.using(
                        priority=HEAR_PRIORITY,
                        run_after=timezone.now() + datetime.timedelta(seconds=1),
                    ).enqueue()
                return heard
            react(rows, timezone.now())
            Inbox.objects.filter(pk__in=[r.pk for r in rows]).delete()
        heard += len(rows)


def _take() -> list[Inbox]:
    lock = "FOR UPDATE SKIP LOCKED" if connection.vendor == "postgresql" else ""
    with connection.cursor() as cursor:
        cursor.execute(TAKE.format(lock=lock), [BATCH])
        ids = [row[0] for row in cursor.fetchall()]
    return list(Inbox.objects.filter(pk__in=ids).order_by("pk"))


def react(rows: list[Inbox], now: datetime.datetime) -> None:
    """Enrol, end and wake for a batch of events, each person's in their order: a round
    takes each person's next event, and moves those concerned on before the next round
    (an activation right after the offer reaches the enrolment the offer made)."""
    known = set(
        Person.objects.filter(pk__in={r.person_id for r in rows}).values_list("pk", flat=True)
    )
    for row in rows:
        if row.person_id not in known:
            logger.warning(
                "Journey event %s for unknown person %s ignored", row.type, row.person_id
            )
    rows = [r for r in rows if r.person_id in known]
    journeys: dict[int, Journey] = {}
    inside = _inside(sorted({r.person_id for r in rows}))
    moved = Moved()
    rounds: list[list[Inbox]] = []
    seen: dict[int, int] = defaultdict(int)
    for row in rows:
        n = seen[row.person_id]
        seen[row.person_id] += 1
        if n == len(rounds):
            rounds.append([])
        rounds[n].append(row)
    for round_rows in rounds:
        touched: dict[int, dict[int, tuple[int, State]]] = defaultdict(dict)
        for row in round_rows:
            for journey_id, version_id, state in inside[row.person_id]:
                journey = _journey(journeys, journey_id)
                if _hear_one(journey, version_id, state, row, now, moved):
                    touched[journey_id][state.id] = (version_id, state)
            for journey_id in interests().entries.get(row.type, []):
                pair = enrol_for_event(_journey(journeys, journey_id), row, now, moved)
                if pair is not None:
                    touched[journey_id][pair[1].id] = pair
                    inside[row.person_id].append((journey_id, *pair))
        for journey_id, pairs in touched.items():
            journey = journeys[journey_id]
            states = list(pairs.values())
            if journey.status == Journey.Status.ACTIVE:
                move_states(journey, states, now, moved=moved)
            else:  # paused: repositioned, moved on when resumed
                store.save([s for _, s in states], now)
    moved.write()


def _journey(journeys: dict[int, Journey], journey_id: int) -> Journey:
    """The journey as it is now, its status read under a share lock held until the batch
    is written (a pause or an archive waits for it)."""
    if journey_id not in journeys:
        found = Journey.objects.select_related("org_unit", "purpose").filter(pk=journey_id)
        if connection.vendor == "postgresql":
            found = found.select_for_update(of=("self",), no_key=True)
        journeys[journey_id] = found.get()
    return journeys[journey_id]


def _inside(persons: list[int]) -> dict[int, list[tuple[int, int, State]]]:
    """The persons' active enrolments (through the index of active ones by person),
    locked until the batch is written."""
    locked = (
        Enrolment.objects.select_for_update()
        .filter(person_id__in=persons, status=ACTIVE)
        .order_by("pk")
    )
    by_person: dict[int, list[tuple[int, int, State]]] = defaultdict(list)
    for journey_id, version_id, state in store.load(locked):
        by_person[state.person_id].append((journey_id, version_id, state))
    return by_person


def _hear_one(
    journey: Journey,
    version_id: int,
    state: State,
    row: Inbox,
    now: datetime.datetime,
    moved: Moved,
) -> bool:
    """A goal, an exit or an awaited event for one enrolment; whether it meant anything.
    A goal and an exit are written and counted here: the state has ended already when
    it is moved on."""
    if journey.status not in (Journey.Status.ACTIVE, Journey.Status.PAUSED):
        return False
    purpose = journey.purpose.slug if journey.purpose else None
    was = state.status
    meant = hear(definition_of(version_id), state, row.type, row.payload, now, purpose=purpose)
    number = version_number(version_id)
    if meant == "goal":
        moved.events.append(
            store.event(journey, number, state, "journey.goal", now, {"goal": row.type})
        )
        moved.counts[(journey.pk, number, "", "goal", store.day_of(journey, now))] += 1
    elif meant == "exit" and was == ACTIVE:
        moved.ending(journey, number, state)
    return meant is not None


def enrol_for_event(
    journey: Journey, row: Inbox, now: datetime.datetime, moved: Moved
) -> tuple[int, State] | None:
    """Enrol the event's person if the event is the journey's entry and its re-entry
    rule lets them in."""
    if journey.status != Journey.Status.ACTIVE or journey.current_id is None:
        return None  # paused or archived since this process last looked
    defn = definition_of(journey.current_id)
    found = d.entry_event(defn.entry)
    if found is None or found[0] != row.type or not d.matches(found[1], row.payload):
        return None
    field = d.entry_key_field(defn.entry)
    key = str(row.payload.get(field, ""))[:100] if field else ""
    return enrol(journey, row.person_id, key=key, entry=row.payload, now=now, moved=moved)


def enrol(
    journey: Journey,
    person_id: int,
    *,
    key: str = "",
    entry: dict[str, Any] | None = None,
    now: datetime.datetime,
    moved: Moved,
    once: bool = False,
) -> tuple[int, State] | None:
    """A new enrolment at the first step of the current version, due now; None when the
    person is in already for this key, the re-entry rule (or `once`: never for the same
    key) keeps them out, or the journey's unit may not reach them. The caller moves it
    on (`move_states`) and writes `moved`."""
    assert journey.current_id is not None
    defn = definition_of(journey.current_id)
    if not may_enter(journey, defn, person_id, key, now, once=once):
        return None
    if not Person.objects.filter(scope_of(journey.org_unit).visible(), pk=person_id).exists():
        return None  # restricted to a unit the journey's does not reach
    sid = transaction.savepoint()
    try:
        row = Enrolment.objects.create(
            journey=journey,
            version_id=journey.current_id,
            person_id=person_id,
            key=key,
            step=defn.start or "",
            due_at=now,
            context={"entry": entry or {}},
            entered_at=now,
            updated_at=now,
        )
    except IntegrityError:  # the same person and key entered at this moment elsewhere
        transaction.savepoint_rollback(sid)
        return None
    transaction.savepoint_commit(sid)
    number = version_number(journey.current_id)
    state = store.load(Enrolment.objects.filter(pk=row.pk))[0][2]
    moved.events.append(store.event(journey, number, state, "journey.entered", now))
    moved.counts[(journey.pk, number, "", "entered", store.day_of(journey, now))] += 1
    return journey.current_id, state


def may_enter(
    journey: Journey,
    defn: d.Definition,
    person_id: int,
    key: str,
    now: datetime.datetime,
    *,
    once: bool = False,
) -> bool:
    past = Enrolment.objects.filter(journey=journey, person_id=person_id, key=key)
    if past.filter(status=ACTIVE).exists():
        return False
    policy = "never" if once else defn.reentry.policy
    if policy == "always":
        return True
    ended = past.exclude(status=ACTIVE)
    if policy == "after_days":
        ended = ended.filter(ended_at__gt=now - datetime.timedelta(days=defn.reentry.days))
    return not ended.exists()


events_stored.connect(on_stored, dispatch_uid="journeys-inbox")
post_save.connect(forget_interests, sender=Journey, dispatch_uid="journeys-interests")
post_save.connect(forget_interests, sender=Version, dispatch_uid="journeys-interests-v")
