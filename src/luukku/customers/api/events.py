"""Timeline events from source systems: one at a time, or NDJSON batches."""

from typing import Any, Literal

from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, HttpResponse
from ninja import Field, Query, Router, Schema
from ninja.errors import HttpError
from pydantic_core import to_json

from luukku.core.access import Perm, require
from luukku.core.actions.audit import audit_channel
from luukku.core.api import actor_of
from luukku.customers import access
from luukku.customers.actions.ingest import (
    BatchTooLarge,
    EventIn,
    ingest_events,
    parse_ndjson,
)
from luukku.customers.api.schemas import TimelinePage, TimelineParams, events_page

router = Router(tags=["timeline"])

NDJSON_TYPES = {"application/x-ndjson", "application/ndjson", "application/jsonl"}


class LineError(Schema):
    field: str
    message: str


class LineResultOut(Schema):
    line: int
    status: Literal["created", "duplicate", "error"]
    error: LineError | None = None


class BatchOut(Schema):
    created: int
    duplicates: int
    errors: int
    results: list[LineResultOut]


@router.post("/events", response={201: LineResultOut, 200: LineResultOut, 422: LineResultOut})
def create_event(
    request: HttpRequest, payload: EventIn, unknown_person: Literal["reject", "create"] = "reject"
) -> tuple[int, dict[str, Any]]:
    """Record one event. A repeated idempotency key answers 200 "duplicate" and stores nothing."""
    actor = actor_of(request)
    require(actor, Perm.EVENT_INGEST)
    with audit_channel("api"):
        [result] = ingest_events([(1, payload)], by=actor, unknown_person=unknown_person)
    status = {"created": 201, "duplicate": 200, "error": 422}[result.status]
    return status, result.as_dict()


@router.post("/events/batch", response=BatchOut)
def create_events(
    request: HttpRequest, unknown_person: Literal["reject", "create"] = "reject"
) -> HttpResponse:
    """NDJSON body, one event per line (at most 10,000). Each line gets its own result;
    valid lines are stored even when others are broken."""
    actor = actor_of(request)
    require(actor, Perm.EVENT_INGEST)
    content_type = request.content_type or ""
    if content_type not in NDJSON_TYPES:
        raise HttpError(415, "Send the batch as application/x-ndjson, one JSON event per line.")
    try:
        lines = parse_ndjson(request.body)
    except BatchTooLarge as exc:
        raise HttpError(413, str(exc)) from None
    except RequestDataTooBig:
        raise HttpError(
            413, "The batch is larger than this server accepts; send fewer lines per request."
        ) from None
    with audit_channel("api"):
        results = ingest_events(lines, by=actor, unknown_person=unknown_person)
    counts = {
        status: sum(r.status == status for r in results)
        for status in ("created", "duplicate", "error")
    }
    # Built directly and serialized in Rust: validating 10,000 result objects again would
    # cost more than storing them.
    return HttpResponse(
        to_json(
            {
                "created": counts["created"],
                "duplicates": counts["duplicate"],
                "errors": counts["error"],
                "results": [r.as_dict() for r in results],
            }
        ),
        content_type="application/json",
    )


class EventFilters(TimelineParams):
    limit: int = Field(100, ge=1, le=1000)
    person_id: int | None = None


@router.get("/events", response=TimelinePage)
def list_events(request: HttpRequest, params: Query[EventFilters]) -> dict[str, Any]:
    """Events newest first across the persons the caller may see, e.g. every
    `housing.contract_signed` since Monday. Use `since` to keep scans short."""
    events = access.all_events_visible_to(actor_of(request))
    if params.person_id is not None:
        events = events.filter(person_id=params.person_id)
    return events_page(events, params)
