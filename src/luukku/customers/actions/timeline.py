"""Appending to the timeline: one event, or a batch with idempotency keys."""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from typing import Any

import django.dispatch
from django.db import connection, transaction
from django.utils import timezone
from pydantic_core import to_json

from luukku.core.bulk import allocate_ids, array_cursor, sequence_of
from luukku.core.models import OrgUnit
from luukku.customers import partitions
from luukku.customers.models import Event, EventKey, Person, Sensitivity
from luukku.customers.models.timeline import hold_timeline


@dataclass(slots=True)
class NewEvent:
    person_id: int
    type: str
    occurred_at: datetime.datetime
    source: str = "luukku"
    org_unit_id: int | None = None
    sensitivity: str = Sensitivity.NORMAL
    payload: dict[str, Any] = field(default_factory=dict)
    idempotency_key: str | None = None
    # Idempotency keys are per source: one integration cannot suppress another's events.
    key: str | None = field(init=False)

    def __post_init__(self) -> None:
        self.key = f"{self.source}:{self.idempotency_key}" if self.idempotency_key else None


def append_event(
    person: Person,
    *,
    type: str,
    occurred_at: datetime.datetime | None = None,
    source: str = "luukku",
    org_unit: OrgUnit | None = None,
    sensitivity: str = Sensitivity.NORMAL,
    payload: dict[str, Any] | None = None,
) -> Event:
    """Luukku's own events (a change to a profile, later a message or a case event)."""
    return append_one(
        NewEvent(
            person_id=person.pk,
            type=type,
            occurred_at=occurred_at or timezone.now(),
            source=source,
            org_unit_id=org_unit.pk if org_unit is not None else None,
            sensitivity=sensitivity,
            payload=payload or {},
        )
    )


# Sent once the transaction that appended events commits, with `appended`: a list of
# (person id, event type). What keeps something derived from people (segments) listens.
events_appended = django.dispatch.Signal()


# Sent inside the transaction that stores events, with `events`: the NewEvents stored
# (duplicates left out). What must react to an event exactly once, durably, listens
# here and writes its own rows in the same transaction (journeys).
events_stored = django.dispatch.Signal()


def _tell(events: list[NewEvent]) -> None:
    if not events:
        return
    events_stored.send(Event, events=events)
    pairs = [(e.person_id, e.type) for e in events]
    transaction.on_commit(lambda: events_appended.send(Event, appended=pairs))


def append_one(event: NewEvent) -> Event:
    """One event without an idempotency key: a single INSERT (`append_events` copies a
    batch in, which pays off only for many)."""
    partitions.ensure_partitions(event.occurred_at, event.occurred_at)
    hold_timeline()
    _tell([event])
    return Event.objects.create(
        person_id=event.person_id,
        type=event.type,
        occurred_at=event.occurred_at,
        source=event.source,
        org_unit_id=event.org_unit_id,
        sensitivity=event.sensitivity,
        payload=event.payload,
    )


def _dedupe_in_batch(events: list[NewEvent]) -> list[bool]:
    """False for events whose key already appeared earlier in the same batch."""
    seen: set[str] = set()
    first: list[bool] = []
    for event in events:
        key = event.key
        first.append(not (key and key in seen))
        if key:
            seen.add(key)
    return first


@transaction.atomic
def append_events(events: list[NewEvent]) -> list[bool]:
    """Store a batch; an event whose idempotency key was seen before is skipped.

    Returns, for each event in order, whether it was stored (False: a duplicate).
    Safe when several batches with the same keys arrive at once.
    """
    if not events:
        return []
    hold_timeline()
    first = _dedupe_in_batch(events)
    candidates = [e for e, keep in zip(events, first, strict=True) if keep]
    partitions.ensure_partitions(
        min(e.occurred_at for e in candidates), max(e.occurred_at for e in candidates)
    )
    if connection.vendor == "postgresql":
        new_keys = _append_postgresql(candidates)
    else:
        new_keys = _append_orm(candidates)
    stored = [
        keep and (e.key is None or e.key in new_keys) for e, keep in zip(events, first, strict=True)
    ]
    _tell([e for e, kept in zip(events, stored, strict=True) if kept])
    return stored


def _append_orm(events: list[NewEvent]) -> set[str]:
    keys = [e.key for e in events if e.key]
    seen = set(EventKey.objects.filter(key__in=keys).values_list("key", flat=True))
    fresh = [e for e in events if not e.key or e.key not in seen]
    now = timezone.now()
    rows = Event.objects.bulk_create(
        [
            Event(
                person_id=e.person_id,
                type=e.type,
                occurred_at=e.occurred_at,
                recorded_at=now,
                source=e.source,
                org_unit_id=e.org_unit_id,
                sensitivity=e.sensitivity,
                payload=e.payload,
                idempotency_key=e.idempotency_key,
            )
            for e in fresh
        ],
        batch_size=2000,
    )
    EventKey.objects.bulk_create(
        [
            EventKey(key=f"{r.source}:{r.idempotency_key}", event_id=r.pk or 0)
            for r in rows
            if r.idempotency_key
        ],
        batch_size=2000,
    )
    return {e.key for e in fresh if e.key}


COPY_COLUMNS = (
    "id",
    "person_id",
    "type",
    "occurred_at",
    "recorded_at",
    "source",
    "org_unit_id",
    "sensitivity",
    "payload",
    "idempotency_key",
)


def _claim_keys(keys: list[str]) -> dict[str, int]:
    """Claim idempotency keys, numbering an event for each new one; a key another batch
    holds (or held) is left out. Concurrency-safe: ON CONFLICT waits for the holder."""
    if not keys:
        return {}
    sequence = sequence_of(Event)
    with array_cursor() as cursor:
        cursor.execute(
            "INSERT INTO customers_eventkey (key, event_id) "
            "SELECT key, nextval(%s::regclass) FROM unnest(%b::varchar[]) AS claimed(key) "
            "ON CONFLICT DO NOTHING RETURNING key, event_id",
            [sequence, sorted(keys)],  # in index order: neighbouring keys share pages
        )
        return dict(cursor.fetchall())


def _append_postgresql(events: list[NewEvent]) -> set[str]:
    """Claim keys, then COPY the events whose keys were new (and those without a key)."""
    with connection.cursor() as cursor:
        claimed = _claim_keys([e.key for e in events if e.key])
        unkeyed = iter(allocate_ids(Event, sum(1 for e in events if not e.key)))
        now = timezone.now()
        columns = ", ".join(COPY_COLUMNS)
        with cursor.cursor.copy(f"COPY customers_event ({columns}) FROM STDIN") as copy:
            for event in events:
                if event.key:
                    event_id = claimed.get(event.key)
                    if event_id is None:
                        continue
                else:
                    event_id = next(unkeyed)
                copy.write_row(
                    (
                        event_id,
                        event.person_id,
                        event.type,
                        event.occurred_at,
                        now,
                        event.source,
                        event.org_unit_id,
                        event.sensitivity,
                        # In Rust: a batch's payloads took json.dumps a tenth of the batch.
                        to_json(event.payload).decode(),
                        event.idempotency_key,
                    )
                )
    return set(claimed)
