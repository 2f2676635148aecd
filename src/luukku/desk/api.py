"""The desk API: queues, cases, and messages on a case."""

from __future__ import annotations

import base64
import binascii
import datetime
from typing import Any, Literal

from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from ninja import Field, NinjaAPI, Query, Router, Schema
from ninja.errors import HttpError

from luukku.channels.inbound import InboundAttachment
from luukku.core.access import Perm
from luukku.core.actions.audit import audit_channel
from luukku.core.api import actor_of
from luukku.core.models import User
from luukku.core.restapi.pagination import page_of
from luukku.core.restapi.problems import problem
from luukku.core.restapi.schema import StrictSchema
from luukku.customers import access as customer_access
from luukku.desk import access, services
from luukku.desk.filters import CaseFilter, filter_cases, listed, open_counts
from luukku.desk.models import (
    Case,
    CaseChannel,
    CaseStatus,
    Category,
    HistoryEntry,
    Message,
    Priority,
    Queue,
    StatusCategory,
)

router = Router(tags=["desk"])


class QueueOut(Schema):
    slug: str
    name: str
    org_unit: str
    counts: dict[str, int] = Field(description="Cases per status category, done ones left out.")


class AttachmentOut(Schema):
    filename: str
    content_type: str
    size: int
    url: str


class MessageOut(Schema):
    id: int
    direction: str
    channel: str
    author: str | None
    sender: str
    subject: str
    text: str
    delivery: str
    attachments: list[AttachmentOut] = []
    created_at: datetime.datetime


class CaseOut(Schema):
    number: int
    reference: str = Field(description='The number as people see it, e.g. "SAK-1042".')
    subject: str
    status: str
    status_shown: str
    priority: str
    queue: str
    suggested_queue: str | None = Field(
        description="For a case in a triage queue: the queue the classifier suggests."
    )
    category_id: int | None
    assignee: str | None
    working_on_it: str | None = Field(description="Who has the case open right now.")
    person_id: int | None
    organization_id: int | None
    channel: str
    version: int = Field(description="Send it back with a change; a stale one is refused.")
    created_at: datetime.datetime
    updated_at: datetime.datetime
    sla_due_at: datetime.datetime | None = Field(
        description="The soonest deadline of its running SLA clocks."
    )


class SlaClockOut(Schema):
    target: str = Field(description="first_response, next_response or resolution.")
    state: str = Field(description="running, paused, met or stopped.")
    due_at: datetime.datetime | None
    pause_reason: str
    warned_at: datetime.datetime | None
    breached_at: datetime.datetime | None
    met_at: datetime.datetime | None
    policy: str


class CaseDetail(CaseOut):
    messages: list[MessageOut]
    sla: list[SlaClockOut]


class CasePage(Schema):
    items: list[CaseOut]
    next_cursor: str | None


class CaseFilters(Schema):
    limit: int = Field(50, ge=1, le=500)
    cursor: str | None = None
    queue: str | None = Field(None, description="A queue's short name.")
    status: list[StatusCategory] | None = Field(None, description="Status categories.")
    open: bool | None = Field(None, description="Only cases not resolved or closed.")
    assignee: str | None = Field(None, description='A username, "me", or "none" (nobody).')
    priority: list[Priority] | None = None
    category_id: int | None = None
    delegated_by_me: bool = False
    escalated_to_me: bool = Field(False, description="Open cases an SLA escalation named me in.")
    person_id: int | None = None


class CaseIn(StrictSchema):
    queue: str
    subject: str = Field(max_length=300)
    text: str = Field("", description="The first message, as the customer wrote it.")
    person_id: int | None = None
    organization_id: int | None = None
    priority: Priority = Priority.NORMAL
    category_id: int | None = None
    channel: CaseChannel = CaseChannel.API


class CasePatch(StrictSchema):
    version: int
    queue: str | None = Field(
        None, description="Move the case to this queue (any unit's) first; the rest after."
    )
    status: StatusCategory | None = None
    custom_status: str | None = Field(
        None, description="The name of an administrator's status; its category becomes the status."
    )
    priority: Priority | None = None
    category_id: int | None = None
    assignee: str | None = Field(None, description='A username, or "" for the queue.')
    resolution_note: str = ""
    suggest_faq: bool = False


class FileIn(StrictSchema):
    filename: str = Field(min_length=1, max_length=200)
    content_type: str = Field(
        "application/octet-stream", max_length=200, pattern=r"^[\w.+-]+/[\w.+-]+$"
    )
    content_base64: str = Field(description="The file's bytes, base64-encoded.")

    def decoded(self) -> InboundAttachment:
        try:
            data = base64.b64decode(self.content_base64, validate=True)
        except binascii.Error:
            raise HttpError(422, f"{self.filename}: content_base64 is not valid base64") from None
        return InboundAttachment(filename=self.filename, content_type=self.content_type, data=data)


class MessageIn(StrictSchema):
    kind: Literal["reply", "note"]
    text: str = Field(min_length=1)
    version: int
    attachments: list[FileIn] = Field(
        default_factory=list,
        description="Files sent with a reply or kept with a note (the size limit applies).",
    )


def _name(user: User | None) -> str | None:
    return user.get_username() if user else None


def case_out(case: Case) -> dict[str, Any]:
    return {
        "number": case.number,
        "reference": case.reference,
        "subject": case.subject,
        "status": case.status,
        "status_shown": case.status_shown,
        "priority": case.priority,
        "queue": case.queue.slug,
        "suggested_queue": case.suggested_queue.slug if case.suggested_queue else None,
        "category_id": case.category_id,
        "assignee": _name(case.assignee),
        "working_on_it": _name(case.working_on_it),
        "person_id": case.person_id,
        "organization_id": case.organization_id,
        "channel": case.channel,
        "version": case.version,
        "created_at": case.created_at,
        "updated_at": case.updated_at,
        "sla_due_at": case.sla_due_at,
    }


def sla_out(case: Case) -> list[dict[str, Any]]:
    clocks = case.sla_clocks.select_related("policy").order_by("pk")
    return [
        {
            "target": c.target,
            "state": c.state,
            "due_at": c.due_at,
            "pause_reason": c.pause_reason,
            "warned_at": c.warned_at,
            "breached_at": c.breached_at,
            "met_at": c.met_at,
            "policy": c.policy.name,
        }
        for c in clocks
    ]


def message_out(message: Message) -> dict[str, Any]:
    return {
        "id": message.pk,
        "direction": message.direction,
        "channel": message.channel,
        "author": _name(message.author),
        "sender": message.sender,
        "subject": message.subject,
        "text": message.body_text,
        "delivery": message.delivery,
        "attachments": [
            {
                "filename": a.filename,
                "content_type": a.content_type,
                "size": a.size,
                "url": reverse("desk:attachment", args=[message.case.number, a.pk]),
            }
            for a in message.attachments.all()
        ],
        "created_at": message.created_at,
    }


def _cases(actor: User) -> Any:
    return listed(access.cases_visible_to(actor)).select_related("suggested_queue")


@router.get("/queues", response=list[QueueOut])
def list_queues(request: HttpRequest) -> list[dict[str, Any]]:
    actor = actor_of(request)
    counts = open_counts(access.cases_visible_to(actor))
    return [
        {
            "slug": q.slug,
            "name": q.name,
            "org_unit": q.org_unit.slug,
            "counts": counts.get(q.pk, {}),
        }
        for q in access.queues_visible_to(actor).filter(is_active=True).select_related("org_unit")
    ]


@router.get("/cases", response=CasePage)
def list_cases(request: HttpRequest, params: Query[CaseFilters]) -> dict[str, Any]:
    actor = actor_of(request)
    rows = _cases(actor)
    if params.queue:
        rows = rows.filter(queue__slug=params.queue)
    rows = filter_cases(
        rows,
        CaseFilter(
            status=list(params.status or []) or None,
            open=bool(params.open),
            assignee=params.assignee or "",
            priority=list(params.priority or []) or None,
            category_id=params.category_id,
            delegated_by_me=params.delegated_by_me,
            escalated_to_me=params.escalated_to_me,
            person_id=params.person_id,
        ),
        actor,
    )
    page, next_cursor = page_of(rows, cursor=params.cursor, limit=params.limit)
    return {"items": [case_out(c) for c in page], "next_cursor": next_cursor}


def _detail(case: Case) -> dict[str, Any]:
    case = listed(Case.objects.filter(pk=case.pk)).get()
    messages = case.messages.select_related("author", "case").prefetch_related("attachments")
    return {
        **case_out(case),
        "messages": [message_out(m) for m in messages],
        "sla": sla_out(case),
    }


@router.get("/cases/{number}", response=CaseDetail)
def get_case(request: HttpRequest, number: int) -> dict[str, Any]:
    return _detail(access.case_for_actor(actor_of(request), number))


@router.post("/cases", response={201: CaseDetail})
def create_case(request: HttpRequest, payload: CaseIn) -> tuple[int, dict[str, Any]]:
    actor = actor_of(request)
    queue = access.queue_for_actor(actor, payload.queue)
    person = (
        customer_access.person_for_actor(actor, payload.person_id) if payload.person_id else None
    )
    organization = (
        customer_access.organization_for_actor(actor, payload.organization_id)
        if payload.organization_id
        else None
    )
    category = (
        Category.objects.filter(pk=payload.category_id, org_unit=queue.org_unit).first()
        if payload.category_id
        else None
    )
    if payload.category_id and category is None:
        raise services.CaseError("No such category in this queue's unit.")
    with audit_channel("api"):
        case = services.open_case(
            queue=queue,
            subject=payload.subject,
            by=actor,
            channel=payload.channel,
            person=person,
            organization=organization,
            priority=payload.priority,
            category=category,
            first=services.NewMessage(text=payload.text) if payload.text else None,
        )
    return 201, _detail(case)


@router.patch("/cases/{number}", response=CaseOut)
def change_case(request: HttpRequest, number: int, payload: CasePatch) -> dict[str, Any]:
    actor = actor_of(request)
    case = access.case_for_actor(actor, number, Perm.CASE_WORK)
    assignee: Any = services.KEEP
    if payload.assignee is not None:
        assignee = (
            User.objects.filter(username=payload.assignee, is_active=True).first()
            if payload.assignee
            else None
        )
        if payload.assignee and assignee is None:
            raise services.CaseError(f"No such user: {payload.assignee}")
    status: str | CaseStatus | None = payload.status
    if payload.custom_status is not None:
        status = CaseStatus.objects.filter(name=payload.custom_status).first()
        if status is None:
            raise services.CaseError(f"No such status: {payload.custom_status}")
    version = payload.version
    with audit_channel("api"), transaction.atomic():
        if payload.queue is not None:
            to = Queue.objects.filter(slug=payload.queue, is_active=True).first()
            if to is None:
                raise services.CaseError(f"No such queue: {payload.queue}")
            case = services.move_case(case, to=to, by=actor, version=version)
            version = case.version
        case = services.update_case(
            case,
            by=actor,
            version=version,
            priority=payload.priority,
            category_id=payload.category_id,
            assignee=assignee,
            status=status,
            resolution_note=payload.resolution_note,
            suggest_faq=payload.suggest_faq,
        )
    shown = _cases(actor).filter(pk=case.pk).first()
    return case_out(shown or case)  # moved where the actor may not see it: as it left


@router.post("/cases/{number}/messages", response={201: MessageOut})
def post_message(
    request: HttpRequest, number: int, payload: MessageIn
) -> tuple[int, dict[str, Any]]:
    actor = actor_of(request)
    case = access.case_for_actor(actor, number, Perm.CASE_WORK)
    files = [item.decoded() for item in payload.attachments]
    with audit_channel("api"):
        write = services.reply if payload.kind == "reply" else services.add_note
        message = write(case, by=actor, text=payload.text, version=payload.version, files=files)
    return 201, message_out(message)


class MergeIn(StrictSchema):
    into: int = Field(description="Number of the case that takes this one's messages.")
    version: int


class SplitIn(StrictSchema):
    messages: list[int] = Field(description="Ids of the messages that form the new case.")
    subject: str = Field("", max_length=300)
    version: int


@router.post("/cases/{number}/merge", response=CaseDetail)
def merge_case(request: HttpRequest, number: int, payload: MergeIn) -> dict[str, Any]:
    actor = actor_of(request)
    case = access.case_for_actor(actor, number, Perm.CASE_WORK)
    into = access.case_for_actor(actor, payload.into, Perm.CASE_WORK)
    with audit_channel("api"):
        survivor = services.merge_case(case, into=into, by=actor, version=payload.version)
    return _detail(survivor)


@router.post("/cases/{number}/split", response={201: CaseDetail})
def split_case(request: HttpRequest, number: int, payload: SplitIn) -> tuple[int, dict[str, Any]]:
    actor = actor_of(request)
    case = access.case_for_actor(actor, number, Perm.CASE_WORK)
    with audit_channel("api"):
        child = services.split_case(
            case,
            message_ids=payload.messages,
            subject=payload.subject,
            by=actor,
            version=payload.version,
        )
    return 201, _detail(child)


def _activity(entries: list[HistoryEntry]) -> list[dict[str, Any]]:
    return [
        {"at": e.at.isoformat(), "by": _name(e.actor), "change": e.kind, **e.details}
        for e in entries
    ]


def install_errors(api: NinjaAPI) -> None:
    """Problem details for refused case changes: 409 for a stale version (with the current
    version and what happened since) or someone else's lock, 422 for the rest."""

    @api.exception_handler(services.StaleCase)
    def stale(request: HttpRequest, exc: services.StaleCase) -> HttpResponse:
        return problem(
            request,
            409,
            str(exc),
            extensions={"current_version": exc.case.version, "activity": _activity(exc.activity)},
        )

    @api.exception_handler(services.CaseLocked)
    def locked(request: HttpRequest, exc: services.CaseLocked) -> HttpResponse:
        return problem(request, 409, str(exc))

    @api.exception_handler(services.CaseError)
    def refused(request: HttpRequest, exc: services.CaseError) -> HttpResponse:
        return problem(request, 422, str(exc))
