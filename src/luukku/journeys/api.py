"""The journeys API: define a journey and its versions, activate it (refused with each
step's problem), pause, resume and archive it, enrol persons and take them out, see who
is where, dry-run it on virtual time, and create its messages (whose content is written
through `PUT /campaigns/{id}/contents`)."""

from __future__ import annotations

import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.http import HttpRequest
from ninja import Field, Query, Router, Schema
from ninja.errors import HttpError

from luukku.campaigns.models import Campaign
from luukku.consent.models import Purpose
from luukku.core.access import Perm, require, units_where
from luukku.core.actions.audit import audit_channel
from luukku.core.api import actor_of
from luukku.core.restapi.pagination import page_of
from luukku.core.restapi.schema import StrictSchema
from luukku.customers.access import person_for_actor
from luukku.journeys import dry_runs, services
from luukku.journeys.access import journey_for_actor, journeys_visible_to, visible_enrolments
from luukku.journeys.models import Enrolment, Journey
from luukku.journeys.simulator import Person as VirtualPerson
from luukku.journeys.statistics import figures, totals_for

router = Router(tags=["journeys"])


class JourneyOut(Schema):
    id: int
    name: str
    org_unit: str
    purpose: str | None
    status: str
    version: int | None = Field(description="The version persons enter now.")
    draft: int | None = Field(description="A newer version being edited, if any.")
    definition: dict[str, Any] = Field(description="The newest version's definition.")
    counts: dict[str, int] = Field(description="entered, active, goal, completed, exited")


class JourneyIn(StrictSchema):
    name: str = Field(min_length=1, max_length=200)
    org_unit: str = Field(description="The owning org unit's short name.")
    purpose: str | None = Field(None, description="The purpose's short name.")
    definition: dict[str, Any] = Field(default_factory=dict)


class DefinitionIn(StrictSchema):
    definition: dict[str, Any]


class ActivateIn(StrictSchema):
    migrate: bool = Field(
        False, description="Move persons in older versions to this one where their step is in it."
    )


class EnrolIn(StrictSchema):
    person_id: int
    key: str = Field("", max_length=100)
    entry: dict[str, Any] = Field(default_factory=dict, description="Facts the steps may use.")


class EnrolmentOut(Schema):
    id: int
    person_id: int
    key: str
    version: int
    status: str
    step: str
    due_at: datetime.datetime | None
    wait_event: str
    entered_at: datetime.datetime
    ended_at: datetime.datetime | None
    held_since: datetime.datetime | None
    held_reason: str
    held_seconds: int
    error: str


class EnrolmentPage(Schema):
    items: list[EnrolmentOut]
    next_cursor: str | None


class EnrolmentFilter(Schema):
    status: str | None = None
    step: str | None = None
    person_id: int | None = None
    limit: int = Field(50, ge=1, le=500)
    cursor: str | None = None


class MessageIn(StrictSchema):
    name: str = Field(min_length=1, max_length=150)
    channels: Campaign.Channels = Campaign.Channels.EMAIL


class MessageOut(Schema):
    id: int
    name: str
    channels: str


class EventIn(StrictSchema):
    after: datetime.timedelta = Field(description="From the start, e.g. P2D or PT36H.")
    type: str = Field(min_length=1, max_length=100)
    payload: dict[str, Any] = Field(default_factory=dict)


class MadeUpPerson(StrictSchema):
    values: dict[str, Any] = Field(default_factory=dict)
    segments: list[str] = Field(default_factory=list)
    contactable: list[str] = Field(default_factory=lambda: ["email", "sms"])
    open_cases: list[str] = Field(default_factory=list)


class DryRunIn(StrictSchema):
    person_id: int | None = Field(None, description="A real person; else `person`.")
    person: MadeUpPerson | None = None
    version: int | None = Field(None, description="By default the newest version.")
    entry: dict[str, Any] = Field(default_factory=dict, description="The entry event's payload.")
    events: list[EventIn] = Field(default_factory=list)
    start: datetime.datetime | None = None


class LineOut(Schema):
    at: datetime.datetime
    step: str
    type: str
    way: str
    detail: dict[str, Any]


class StepFiguresOut(Schema):
    waiting: int
    reached: int
    passed: int
    ways: dict[str, int]


class FiguresOut(Schema):
    steps: dict[str, StepFiguresOut]
    totals: dict[str, int]


def out(journey: Journey, totals: dict[str, int] | None = None) -> dict[str, Any]:
    newest = journey.versions.order_by("-number").first()
    draft = services.draft_of(journey)
    totals = totals if totals is not None else totals_for([journey.pk])[journey.pk]
    return {
        "id": journey.pk,
        "name": journey.name,
        "org_unit": journey.org_unit.slug,
        "purpose": journey.purpose.slug if journey.purpose else None,
        "status": journey.status,
        "version": journey.current.number if journey.current else None,
        "draft": draft.number if draft else None,
        "definition": newest.definition if newest else {},
        "counts": {
            k: totals.get(k, 0) for k in ("entered", "active", "goal", "completed", "exited")
        },
    }


def _refused(error: ValidationError) -> HttpError:
    return HttpError(422, "; ".join(error.messages))


@router.get("/journeys", response=list[JourneyOut])
def list_journeys(request: HttpRequest) -> list[dict[str, Any]]:
    actor = actor_of(request)
    require(actor, Perm.JOURNEY_MANAGE)
    rows = list(journeys_visible_to(actor).select_related("org_unit", "purpose", "current"))
    totals = totals_for([j.pk for j in rows])
    return [out(j, totals[j.pk]) for j in rows]


@router.post("/journeys", response={201: JourneyOut})
def create_journey(request: HttpRequest, payload: JourneyIn) -> tuple[int, dict[str, Any]]:
    actor = actor_of(request)
    require(actor, Perm.JOURNEY_MANAGE)
    unit = units_where(actor, Perm.JOURNEY_MANAGE).filter(slug=payload.org_unit).first()
    if unit is None:
        raise HttpError(422, f"No org unit {payload.org_unit} where you may run journeys.")
    purpose = None
    if payload.purpose:
        purpose = Purpose.objects.filter(slug=payload.purpose, is_active=True).first()
        if purpose is None:
            raise HttpError(422, f"No purpose {payload.purpose}.")
    try:
        with audit_channel("api"):
            journey = services.create_journey(
                name=payload.name,
                org_unit=unit,
                purpose=purpose,
                definition=payload.definition,
                by=actor,
            )
    except ValidationError as error:
        raise _refused(error) from None
    return 201, out(journey)


@router.get("/journeys/{journey_id}", response=JourneyOut)
def get_journey(request: HttpRequest, journey_id: int) -> dict[str, Any]:
    actor = actor_of(request)
    require(actor, Perm.JOURNEY_MANAGE)
    return out(journey_for_actor(actor, journey_id))


@router.put("/journeys/{journey_id}/definition", response=JourneyOut)
def put_definition(request: HttpRequest, journey_id: int, payload: DefinitionIn) -> dict[str, Any]:
    """Keep a definition as the draft (a new version when the newest is in use);
    refused with the place of each mistake of form. Checked in full on activation."""
    actor = actor_of(request)
    require(actor, Perm.JOURNEY_MANAGE)
    journey = journey_for_actor(actor, journey_id)
    try:
        with audit_channel("api"):
            services.save_draft(journey, payload.definition, by=actor)
    except ValidationError as error:
        raise _refused(error) from None
    return out(journey)


@router.post("/journeys/{journey_id}/activate", response=JourneyOut)
def activate(request: HttpRequest, journey_id: int, payload: ActivateIn) -> dict[str, Any]:
    """Persons enter the newest version from now on; 422 with each step's problem."""
    actor = actor_of(request)
    require(actor, Perm.JOURNEY_MANAGE)
    journey = journey_for_actor(actor, journey_id)
    try:
        with audit_channel("api"):
            journey = services.activate(journey, by=actor, migrate=payload.migrate)
    except ValidationError as error:
        raise _refused(error) from None
    return out(journey)


def _set_status(request: HttpRequest, journey_id: int, status: str) -> dict[str, Any]:
    actor = actor_of(request)
    require(actor, Perm.JOURNEY_MANAGE)
    journey = journey_for_actor(actor, journey_id)
    try:
        with audit_channel("api"):
            journey = services.set_status(journey, status, by=actor)
    except ValidationError as error:
        raise HttpError(409, "; ".join(error.messages)) from None
    return out(journey)


@router.post("/journeys/{journey_id}/pause", response=JourneyOut)
def pause(request: HttpRequest, journey_id: int) -> dict[str, Any]:
    """Everyone inside stays where they are; events are still heard."""
    return _set_status(request, journey_id, Journey.Status.PAUSED)


@router.post("/journeys/{journey_id}/resume", response=JourneyOut)
def resume(request: HttpRequest, journey_id: int) -> dict[str, Any]:
    return _set_status(request, journey_id, Journey.Status.ACTIVE)


@router.post("/journeys/{journey_id}/archive", response=JourneyOut)
def archive(request: HttpRequest, journey_id: int) -> dict[str, Any]:
    """Everyone inside leaves; nobody enters any more."""
    return _set_status(request, journey_id, Journey.Status.ARCHIVED)


def enrolment_out(row: Enrolment) -> dict[str, Any]:
    return {
        "id": row.pk,
        "person_id": row.person_id,
        "key": row.key,
        "version": row.version.number,
        "status": row.status,
        "step": row.step,
        "due_at": row.due_at,
        "wait_event": row.wait_event,
        "entered_at": row.entered_at,
        "ended_at": row.ended_at,
        "held_since": row.held_since,
        "held_reason": row.held_reason,
        "held_seconds": row.held_seconds,
        "error": row.error,
    }


@router.post("/journeys/{journey_id}/enrolments", response={201: EnrolmentOut, 200: EnrolmentOut})
def enrol(request: HttpRequest, journey_id: int, payload: EnrolIn) -> tuple[int, dict[str, Any]]:
    """Enrol a person (201), or answer with the enrolment they are in already for the key
    (200); 409 when the re-entry rule keeps them out."""
    actor = actor_of(request)
    require(actor, Perm.JOURNEY_MANAGE)
    journey = journey_for_actor(actor, journey_id)
    person = person_for_actor(actor, payload.person_id)
    try:
        with audit_channel("api"):
            made = services.enrol_person(
                journey, person, key=payload.key, entry=payload.entry, by=actor
            )
    except ValidationError as error:
        raise HttpError(409, "; ".join(error.messages)) from None
    if made is not None:
        return 201, enrolment_out(made)
    inside = journey.enrolments.filter(person=person, key=payload.key, status="active").first()
    if inside is None:
        raise HttpError(409, "The journey's re-entry rule keeps this person out.")
    return 200, enrolment_out(inside)


@router.get("/journeys/{journey_id}/enrolments", response=EnrolmentPage)
def list_enrolments(
    request: HttpRequest, journey_id: int, filters: Query[EnrolmentFilter]
) -> dict[str, Any]:
    actor = actor_of(request)
    require(actor, Perm.JOURNEY_MANAGE)
    rows = visible_enrolments(actor, journey_for_actor(actor, journey_id)).select_related("version")
    if filters.status:
        rows = rows.filter(status=filters.status)
    if filters.step:
        rows = rows.filter(step=filters.step)
    if filters.person_id:
        rows = rows.filter(person_id=filters.person_id)
    page, next_cursor = page_of(rows, cursor=filters.cursor, limit=filters.limit)
    return {"items": [enrolment_out(r) for r in page], "next_cursor": next_cursor}


@router.delete("/journeys/{journey_id}/enrolments/{enrolment_id}", response=EnrolmentOut)
def remove(request: HttpRequest, journey_id: int, enrolment_id: int) -> dict[str, Any]:
    """Take the person out at once, wherever they are."""
    actor = actor_of(request)
    require(actor, Perm.JOURNEY_MANAGE)
    journey = journey_for_actor(actor, journey_id)
    row = visible_enrolments(actor, journey).filter(pk=enrolment_id).first()
    if row is None:
        raise HttpError(404, "No such enrolment.")
    with audit_channel("api"):
        row = services.remove_person(row, by=actor)
    return enrolment_out(row)


@router.post("/journeys/{journey_id}/dry-run", response=list[LineOut])
def dry_run(request: HttpRequest, journey_id: int, payload: DryRunIn) -> list[Any]:
    """What the journey would do for the person given these events, step by step on
    virtual time; nothing is sent or changed."""
    actor = actor_of(request)
    require(actor, Perm.JOURNEY_MANAGE)
    journey = journey_for_actor(actor, journey_id)
    versions = journey.versions.order_by("-number")
    version = (
        versions.filter(number=payload.version).first() if payload.version else versions.first()
    )
    if version is None:
        raise HttpError(404, "No such version.")
    if payload.person_id is not None:
        person = dry_runs.facts_of(person_for_actor(actor, payload.person_id), journey)
    else:
        made_up = payload.person or MadeUpPerson()
        person = VirtualPerson(
            values=made_up.values,
            segments=set(made_up.segments),
            contactable=set(made_up.contactable),
            open_cases=made_up.open_cases,
        )
    events = [dry_runs.PlannedEvent(e.after, e.type, e.payload) for e in payload.events]
    try:
        return dry_runs.plan(
            journey, version, person=person, entry=payload.entry, events=events, start=payload.start
        )
    except ValidationError as error:
        raise _refused(error) from None


@router.get("/journeys/{journey_id}/figures", response=FiguresOut)
def journey_figures(request: HttpRequest, journey_id: int, version: int | None = None) -> Any:
    """Per step: waiting there now, reached, passed and each way taken; the totals."""
    actor = actor_of(request)
    require(actor, Perm.JOURNEY_MANAGE)
    found = figures(journey_for_actor(actor, journey_id), version=version)
    return {
        "steps": {
            step: {"waiting": f.waiting, "reached": f.reached, "passed": f.passed, "ways": f.ways}
            for step, f in found.steps.items()
        },
        "totals": found.totals,
    }


@router.post("/journeys/{journey_id}/messages", response={201: MessageOut})
def new_message(request: HttpRequest, journey_id: int, payload: MessageIn) -> tuple[int, Any]:
    """A message for a send step; write its content with PUT /campaigns/{id}/contents."""
    actor = actor_of(request)
    require(actor, Perm.JOURNEY_MANAGE)
    journey = journey_for_actor(actor, journey_id)
    with audit_channel("api"):
        made = services.new_message(journey, name=payload.name, channels=payload.channels, by=actor)
    return 201, {"id": made.pk, "name": made.name, "channels": made.channels}
