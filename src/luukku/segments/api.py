"""The segments API: define segments, read their members and counts, ask whether a person
is in one and why, and preview a rule's count before saving it."""

from __future__ import annotations

import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest
from ninja import Field, Query, Router, Schema
from ninja.errors import HttpError

from luukku.core.access import Perm, require, units_where
from luukku.core.actions.audit import audit_channel
from luukku.core.api import actor_of
from luukku.core.models import OrgUnit
from luukku.core.restapi.pagination import page_of
from luukku.core.restapi.schema import StrictSchema
from luukku.customers import access as customer_access
from luukku.segments import membership, services
from luukku.segments.access import segment_for_actor, segments_visible_to, visible_members
from luukku.segments.models import Membership, Segment

router = Router(tags=["segments"])


class SegmentOut(Schema):
    slug: str
    name: str
    description: str
    org_unit: str
    kind: str
    rule: dict[str, Any]
    is_active: bool
    member_count: int
    evaluated_at: datetime.datetime | None = Field(description="The last full evaluation.")
    evaluation_ms: int | None = Field(description="How long it took, in milliseconds.")
    changed_at: datetime.datetime | None = Field(description="When someone last entered or left.")


class SegmentIn(StrictSchema):
    name: str = Field(min_length=1, max_length=200)
    slug: str = Field(min_length=1, max_length=80, pattern=r"^[-a-z0-9_]+$")
    org_unit: str = Field(description="The owning org unit's short name.")
    kind: Segment.Kind = Segment.Kind.DYNAMIC
    rule: dict[str, Any] = Field(default_factory=dict)
    description: str = ""


class SegmentPatch(StrictSchema):
    name: str | None = Field(None, min_length=1, max_length=200)
    description: str | None = None
    rule: dict[str, Any] | None = None
    is_active: bool | None = None


class PreviewIn(StrictSchema):
    rule: dict[str, Any]
    org_unit: str


class PreviewOut(Schema):
    count: int
    problems: list[str]


class MemberOut(Schema):
    person_id: int
    name: str
    since: datetime.datetime


class MembersPage(Schema):
    items: list[MemberOut]
    next_cursor: str | None = None


class PageParams(Schema):
    limit: int = Field(50, ge=1, le=500)
    cursor: str | None = None


class ConditionOut(Schema):
    path: str
    met: bool


class WhyOut(Schema):
    member: bool
    since: datetime.datetime | None
    conditions: list[ConditionOut]


class ChangeMembersIn(StrictSchema):
    add: list[int] = Field(default_factory=list, max_length=10000)
    remove: list[int] = Field(default_factory=list, max_length=10000)


def out(segment: Segment) -> dict[str, Any]:
    return {
        "slug": segment.slug,
        "name": segment.name,
        "description": segment.description,
        "org_unit": segment.org_unit.slug,
        "kind": segment.kind,
        "rule": segment.rule,
        "is_active": segment.is_active,
        "member_count": segment.member_count,
        "evaluated_at": segment.evaluated_at,
        "evaluation_ms": segment.evaluation_ms,
        "changed_at": segment.changed_at,
    }


def _unit(actor: Any, slug: str) -> OrgUnit:
    unit = units_where(actor, Perm.SEGMENT_MANAGE).filter(slug=slug).first()
    if unit is None:
        raise HttpError(422, f"No org unit {slug} where you may build segments.")
    return unit


def _save(segment: Segment, actor: Any) -> Segment:
    try:
        with audit_channel("api"):
            return services.save_segment(segment, by=actor)
    except ValidationError as error:
        raise HttpError(422, "; ".join(error.messages)) from None


@router.get("/segments", response=list[SegmentOut])
def list_segments(request: HttpRequest) -> list[dict[str, Any]]:
    actor = actor_of(request)
    require(actor, Perm.SEGMENT_MANAGE)
    return [out(s) for s in segments_visible_to(actor).select_related("org_unit")]


@router.post("/segments", response={201: SegmentOut})
def create_segment(request: HttpRequest, payload: SegmentIn) -> tuple[int, dict[str, Any]]:
    actor = actor_of(request)
    require(actor, Perm.SEGMENT_MANAGE)
    if Segment.objects.filter(slug=payload.slug).exists():
        raise HttpError(409, f"A segment {payload.slug} exists already.")
    segment = Segment(
        name=payload.name,
        slug=payload.slug,
        org_unit=_unit(actor, payload.org_unit),
        kind=payload.kind,
        rule=payload.rule,
        description=payload.description,
        created_by=actor,
    )
    return 201, out(_save(segment, actor))


# Before "/segments/{slug}", which would take "preview" for a segment's name.
@router.post("/segments/preview", response=PreviewOut)
def preview(request: HttpRequest, payload: PreviewIn) -> dict[str, Any]:
    """How many a rule would select now, or what is wrong with it."""
    actor = actor_of(request)
    require(actor, Perm.SEGMENT_MANAGE)
    unit = _unit(actor, payload.org_unit)
    problems = services.check_rule(payload.rule)
    if problems:
        return {"count": 0, "problems": problems}
    return {"count": membership.count(payload.rule, unit), "problems": []}


@router.get("/segments/{slug}", response=SegmentOut)
def get_segment(request: HttpRequest, slug: str) -> dict[str, Any]:
    return out(segment_for_actor(actor_of(request), slug))


@router.patch("/segments/{slug}", response=SegmentOut)
def change_segment(request: HttpRequest, slug: str, payload: SegmentPatch) -> dict[str, Any]:
    actor = actor_of(request)
    segment = segment_for_actor(actor, slug)
    for name in ("name", "description", "rule", "is_active"):
        value = getattr(payload, name)
        if value is not None:
            setattr(segment, name, value)
    return out(_save(segment, actor))


@router.delete("/segments/{slug}", response={204: None})
def delete_segment(request: HttpRequest, slug: str) -> tuple[int, None]:
    actor = actor_of(request)
    segment = segment_for_actor(actor, slug)
    used_by = [s.slug for s in services.built_on(segment)]
    if used_by:
        raise HttpError(409, f"Other segments are built on it: {', '.join(sorted(used_by))}")
    with audit_channel("api"):
        services.delete_segment(segment, by=actor)
    return 204, None


@router.get("/segments/{slug}/members", response=MembersPage)
def members(request: HttpRequest, slug: str, params: Query[PageParams]) -> dict[str, Any]:
    """The members the caller may see, in the order they were added."""
    actor = actor_of(request)
    segment = segment_for_actor(actor, slug)
    rows = visible_members(actor, segment).select_related("person")
    page, next_cursor = page_of(rows, cursor=params.cursor, limit=params.limit)
    return {
        "items": [
            {"person_id": m.person_id, "name": str(m.person), "since": m.since} for m in page
        ],
        "next_cursor": next_cursor,
    }


@router.get("/segments/{slug}/members/{person_id}", response=WhyOut)
def is_member(request: HttpRequest, slug: str, person_id: int) -> dict[str, Any]:
    """Whether the person is a member, since when, and which conditions they meet now."""
    actor = actor_of(request)
    segment = segment_for_actor(actor, slug)
    person = customer_access.person_for_actor(actor, person_id)
    row = Membership.objects.filter(segment=segment, person=person).first()
    conditions = [{"path": path, "met": met} for path, met in membership.explain(segment, person)]
    return {
        "member": row is not None,
        "since": row.since if row else None,
        "conditions": conditions,
    }


@router.post("/segments/{slug}/members", response=SegmentOut)
def change_members(request: HttpRequest, slug: str, payload: ChangeMembersIn) -> dict[str, Any]:
    """Add persons to a static segment, or take them out."""
    actor = actor_of(request)
    segment = segment_for_actor(actor, slug)
    if segment.kind != Segment.Kind.STATIC:
        raise HttpError(409, "Only a static segment's members are changed by hand.")
    visible = customer_access.persons_visible_to(actor)
    wanted = set(payload.add) | set(payload.remove)
    found = set(visible.filter(pk__in=wanted).values_list("pk", flat=True))
    missing = sorted(wanted - found)
    if missing:
        raise HttpError(422, f"No such persons: {', '.join(map(str, missing[:20]))}")
    with transaction.atomic():
        membership.add_static(segment, payload.add)
        membership.remove_static(segment, payload.remove)
    segment.refresh_from_db()
    return out(segment)
