"""Enrolments read as engine states and written back, a batch at a time; their steps
written to the timeline and the journey's rollups in the same transaction."""

from __future__ import annotations

import datetime
import zoneinfo
from collections import Counter
from typing import Any

from django.db import connection
from django.db.models import QuerySet

from luukku.customers.actions.timeline import NewEvent, append_events
from luukku.journeys.engine import State, Taken
from luukku.journeys.models import Enrolment, Journey, Stat

STATE_FIELDS = (
    "id",
    "person_id",
    "step",
    "key",
    "status",
    "due_at",
    "wait_event",
    "seq",
    "context",
    "held_since",
    "held_reason",
    "held_seconds",
    "error",
    "ended_at",
)


def load(rows: QuerySet[Enrolment]) -> list[tuple[int, int, State]]:
    """(journey id, version id, state) for each enrolment of `rows` (locked by the
    caller's query)."""
    return [
        (values[0], values[1], State(*values[2:]))
        for values in rows.values_list("journey_id", "version_id", *STATE_FIELDS)
    ]


UPDATE = """
UPDATE journeys_enrolment AS e SET
    step = u.step, status = u.status, due_at = u.due_at, wait_event = u.wait_event,
    seq = u.seq, context = u.context::jsonb, held_since = u.held_since,
    held_reason = u.held_reason, held_seconds = u.held_seconds, error = u.error,
    ended_at = u.ended_at, updated_at = %s, version_id = COALESCE(u.version_id, e.version_id)
FROM unnest(%s::bigint[], %s::varchar[], %s::varchar[], %s::timestamptz[], %s::varchar[],
            %s::int[], %s::text[], %s::timestamptz[], %s::varchar[], %s::int[],
            %s::varchar[], %s::timestamptz[], %s::bigint[])
    AS u(id, step, status, due_at, wait_event, seq, context, held_since, held_reason,
         held_seconds, error, ended_at, version_id)
WHERE e.id = u.id
"""


def save(
    states: list[State], now: datetime.datetime, versions: dict[int, int] | None = None
) -> None:
    """Write the states back in one statement (PostgreSQL) or a bulk update.
    `versions` moves enrolments to another version (by enrolment id)."""
    if not states:
        return
    versions = versions or {}
    if connection.vendor == "postgresql":
        from pydantic_core import to_json

        columns: list[list[Any]] = [[] for _ in range(13)]
        for s in states:
            values = (
                s.id,
                s.step,
                s.status,
                s.due_at,
                s.wait_event,
                s.seq,
                to_json(s.context).decode(),
                s.held_since,
                s.held_reason[:200],
                s.held_seconds,
                s.error[:500],
                s.ended_at,
                versions.get(s.id),
            )
            for column, value in zip(columns, values, strict=True):
                column.append(value)
        with connection.cursor() as cursor:
            cursor.execute(UPDATE, [now, *columns])
        return
    rows = []
    for s in states:
        row = Enrolment(pk=s.id, updated_at=now)
        for name in STATE_FIELDS[2:]:
            setattr(row, name, getattr(s, name))
        row.held_reason, row.error = s.held_reason[:200], s.error[:500]
        if s.id in versions:
            row.version_id = versions[s.id]
        rows.append(row)
    fields = [*STATE_FIELDS[2:], "updated_at"] + (["version"] if versions else [])
    Enrolment.objects.bulk_update(rows, fields, batch_size=500)


def event(
    journey: Journey,
    version: int,
    state: State,
    type: str,
    at: datetime.datetime,
    payload: dict[str, Any] | None = None,
) -> NewEvent:
    return NewEvent(
        person_id=state.person_id,
        type=type,
        occurred_at=at,
        source="journeys",
        org_unit_id=journey.org_unit_id,
        payload={
            **(payload or {}),
            "journey": journey.pk,
            "name": journey.name,
            "version": version,
            **({"key": state.key} if state.key else {}),
        },
    )


def step_events(journey: Journey, version: int, state: State, taken: list[Taken]) -> list[NewEvent]:
    return [
        event(
            journey,
            version,
            state,
            "journey.step",
            t.at,
            {**t.detail, "step": t.step, "kind": t.type, "way": t.way},
        )
        for t in taken
    ]


def ending_event(journey: Journey, version: int, state: State) -> NewEvent | None:
    """`journey.exited` for one who completed or left (a goal has its own event)."""
    if state.ended_at is None or state.status == "goal":
        return None
    reason = state.context.get("exit") or state.status
    return event(journey, version, state, "journey.exited", state.ended_at, {"reason": reason})


StatKey = tuple[int, int, str, str, datetime.date]  # journey, version, step, metric, day


def day_of(journey: Journey, at: datetime.datetime) -> datetime.date:
    """The day in the journey's unit's time zone: the funnel's days are its days."""
    return at.astimezone(zoneinfo.ZoneInfo(journey.org_unit.time_zone)).date()


def count_taken(
    counts: Counter[StatKey], journey: Journey, version: int, taken: list[Taken]
) -> None:
    for t in taken:
        metric = "reached" if t.way == "waiting" else f"way:{t.way}"
        counts[(journey.pk, version, t.step, metric, day_of(journey, t.at))] += 1


def count_ending(counts: Counter[StatKey], journey: Journey, version: int, state: State) -> None:
    assert state.ended_at is not None
    counts[(journey.pk, version, "", state.status, day_of(journey, state.ended_at))] += 1


INSERT = (
    "INSERT INTO journeys_stat (journey_id, version, step, metric, day, n) VALUES {values} "
    "ON CONFLICT (journey_id, version, step, metric, day) "
    "DO UPDATE SET n = journeys_stat.n + excluded.n"
)


def bump(counts: Counter[StatKey]) -> None:
    """Add to the rollups in one statement, in a fixed order (no deadlock between
    batches adding to the same rows)."""
    items = sorted(counts.items())
    if not items:
        return
    values = ", ".join(["(%s, %s, %s, %s, %s, %s)"] * len(items))
    params: list[Any] = []
    for (journey, version, step, metric, day), n in items:
        params += [journey, version, step, metric[:40], day, n]
    with connection.cursor() as cursor:
        cursor.execute(INSERT.format(values=values), params)


def write_events(events: list[NewEvent]) -> None:
    if events:
        append_events(events)


def stats_of(journey: Journey) -> QuerySet[Stat]:
    return Stat.objects.filter(journey=journey)
