"""Reading a person's timeline newest first, page by page (keyset on occurred_at, id)."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.core import signing
from django.db.models import Q, QuerySet

from luukku.customers.models import Event

_SALT = "luukku.timeline.cursor"


class BadCursor(ValueError):
    pass


@dataclass(frozen=True)
class TimelineFilter:
    """Type (exact, or a namespace ending in "."), org unit, source and date range."""

    type: str | None = None
    org_unit_id: int | None = None
    source: str | None = None
    since: datetime.datetime | None = None
    until: datetime.datetime | None = None

    def apply(self, events: QuerySet[Event]) -> QuerySet[Event]:
        if self.type:
            if self.type.endswith("."):
                events = events.filter(type__startswith=self.type)
            else:
                events = events.filter(type=self.type)
        if self.org_unit_id:
            events = events.filter(org_unit_id=self.org_unit_id)
        if self.source:
            events = events.filter(source=self.source)
        if self.since:
            events = events.filter(occurred_at__gte=self.since)
        if self.until:
            events = events.filter(occurred_at__lt=self.until)
        return events


def _encode(event: Event) -> str:
    return signing.dumps([event.occurred_at.isoformat(), event.pk], salt=_SALT)


def _decode(cursor: str) -> tuple[datetime.datetime, int]:
    try:
        at, pk = signing.loads(cursor, salt=_SALT)
        return datetime.datetime.fromisoformat(at), int(pk)
    except (signing.BadSignature, ValueError, TypeError):
        raise BadCursor("The cursor is not valid; start again without it.") from None


def timeline_page(
    events: QuerySet[Event], *, cursor: str | None, limit: int, filters: TimelineFilter
) -> tuple[list[Event], str | None]:
    events = filters.apply(events).select_related("org_unit")
    if cursor:
        at, pk = _decode(cursor)
        events = events.filter(Q(occurred_at__lt=at) | Q(occurred_at=at, pk__lt=pk))
    page = list(events.order_by("-occurred_at", "-pk")[: limit + 1])
    more = len(page) > limit
    page = page[:limit]
    return page, (_encode(page[-1]) if more and page else None)
