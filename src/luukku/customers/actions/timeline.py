"""Appending to the timeline: one event, or a batch with idempotency keys."""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.utils import timezone

from luukku.core.models import OrgUnit
from luukku.customers import partitions
from luukku.customers.models import Event, EventKey, Person, Sensitivity


@dataclass
class NewEvent:
    person_id: int
    type: str
    occurred_at: datetime.datetime
    source: str = "luukku"
    org_unit_id: int | None = None
    sensitivity: str = Sensitivity.NORMAL
    payload: dict[str, Any] = field(default_factory=dict)
    idempotency_key: str | None = None


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
    occurred_at = occurred_at or timezone.now()
    partitions.ensure_partitions(occurred_at, occurred_at)
    return Event.objects.create(
        person=person,
        type=type,
        occurred_at=occurred_at,
        source=source,
        org_unit=org_unit,
        sensitivity=sensitivity,
        payload=payload or {},
    )


@transaction.atomic
def append_events(events: list[NewEvent]) -> list[bool]:
    """Store a batch; an event whose idempotency key was seen before is skipped.

    Returns, for each event in order, whether it was stored (False: a duplicate).
    """
    if not events:
        return []
    keyed = [e.idempotency_key for e in events if e.idempotency_key]
    seen = set(EventKey.objects.filter(key__in=keyed).values_list("key", flat=True))
    stored: list[bool] = []
    fresh: list[NewEvent] = []
    for event in events:
        key = event.idempotency_key
        if key and key in seen:
            stored.append(False)
            continue
        if key:
            seen.add(key)
        fresh.append(event)
        stored.append(True)
    if fresh:
        partitions.ensure_partitions(
            min(e.occurred_at for e in fresh), max(e.occurred_at for e in fresh)
        )
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
                EventKey(key=row.idempotency_key, event_id=row.pk or 0)
                for row in rows
                if row.idempotency_key
            ],
            batch_size=2000,
        )
    return stored
