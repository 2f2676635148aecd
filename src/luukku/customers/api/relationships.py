"""Relationships between persons, and between persons and organizations."""

import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import Q
from django.http import Http404, HttpRequest
from ninja import Field, Query, Router, Schema

from luukku.core.access import Perm
from luukku.core.actions.audit import audit_channel
from luukku.core.api import actor_of
from luukku.core.models import OrgUnit, User
from luukku.core.restapi.pagination import page_of
from luukku.core.restapi.schema import StrictSchema
from luukku.customers import access
from luukku.customers.actions import relationships as actions
from luukku.customers.api.schemas import RelationshipOut, relationship_out
from luukku.customers.models import Relationship, RelationshipType, Sensitivity

router = Router(tags=["customers"])


class RelationshipIn(StrictSchema):
    type: str = Field(description="Code of a relationship type, e.g. guardian_of.")
    person_id: int
    other_person_id: int | None = None
    other_organization_id: int | None = None
    valid_from: datetime.date | None = None
    valid_to: datetime.date | None = None
    source: str = Field("api", max_length=64)
    org_unit_id: int | None = None
    sensitivity: Sensitivity = Sensitivity.NORMAL


class RelationshipPatch(StrictSchema):
    valid_from: datetime.date | None = None
    valid_to: datetime.date | None = None


class RelationshipFilters(Schema):
    limit: int = Field(50, ge=1, le=500)
    cursor: str | None = None
    person_id: int | None = None
    organization_id: int | None = None
    type: str | None = None


class RelationshipPage(Schema):
    items: list[RelationshipOut]
    next_cursor: str | None


def _relationship(actor: User, relationship_id: int, perm: Perm) -> Relationship:
    rel = (
        access.relationships_visible_to(actor)
        .select_related("type")
        .filter(pk=relationship_id)
        .first()
    )
    if rel is None:
        if Relationship.objects.filter(pk=relationship_id).exists():
            raise access.AccessDenied("You do not have permission to do this here.")
        raise Http404("No such relationship.")
    if perm is Perm.CUSTOMER_EDIT:
        access.require_write_in(actor, rel.org_unit, rel.sensitivity)
    return rel


@router.get("/relationships", response=RelationshipPage)
def list_relationships(request: HttpRequest, params: Query[RelationshipFilters]) -> dict[str, Any]:
    actor = actor_of(request)
    rows = access.relationships_visible_to(actor).select_related("type")
    if params.person_id:
        rows = rows.filter(Q(person_id=params.person_id) | Q(other_person_id=params.person_id))
    if params.organization_id:
        rows = rows.filter(other_organization_id=params.organization_id)
    if params.type:
        rows = rows.filter(type__code=params.type)
    page, next_cursor = page_of(rows, cursor=params.cursor, limit=params.limit)
    return {"items": [relationship_out(r) for r in page], "next_cursor": next_cursor}


@router.post("/relationships", response={201: RelationshipOut})
def create_relationship(
    request: HttpRequest, payload: RelationshipIn
) -> tuple[int, dict[str, Any]]:
    actor = actor_of(request)
    kind = RelationshipType.objects.filter(code=payload.type).first()
    if kind is None:
        raise ValidationError({"type": ["Unknown relationship type."]})
    if (payload.other_person_id is None) == (payload.other_organization_id is None):
        raise ValidationError(
            {"other_person_id": ["Give either other_person_id or other_organization_id."]}
        )
    if payload.other_person_id is not None and kind.target != RelationshipType.Target.PERSON:
        raise ValidationError({"type": ["This type relates a person to an organization."]})
    if (
        payload.other_organization_id is not None
        and kind.target != RelationshipType.Target.ORGANIZATION
    ):
        raise ValidationError({"type": ["This type relates a person to a person."]})
    unit = OrgUnit.objects.filter(pk=payload.org_unit_id).first() if payload.org_unit_id else None
    if payload.org_unit_id and unit is None:
        raise ValidationError({"org_unit_id": ["No such org unit."]})
    person = access.person_for_actor(actor, payload.person_id)
    other = (
        access.person_for_actor(actor, payload.other_person_id)
        if payload.other_person_id is not None
        else access.organization_for_actor(actor, payload.other_organization_id or 0)
    )
    unit, sensitivity = actions.relationship_scope(person, other, unit, payload.sensitivity)
    access.require_write_in(actor, unit, sensitivity)
    with audit_channel("api"):
        rel = actions.create_relationship(
            type=kind,
            person=person,
            other=other,
            valid_from=payload.valid_from,
            valid_to=payload.valid_to,
            source=payload.source,
            org_unit=unit,
            sensitivity=sensitivity,
            by=actor,
        )
    return 201, relationship_out(rel)


@router.patch("/relationships/{relationship_id}", response=RelationshipOut)
def update_relationship(
    request: HttpRequest, relationship_id: int, payload: RelationshipPatch
) -> dict[str, Any]:
    actor = actor_of(request)
    rel = _relationship(actor, relationship_id, Perm.CUSTOMER_EDIT)
    with audit_channel("api"):
        actions.update_relationship(rel, changes=payload.dict(exclude_unset=True), by=actor)
    return relationship_out(rel)


@router.delete("/relationships/{relationship_id}", response={204: None})
def delete_relationship(request: HttpRequest, relationship_id: int) -> tuple[int, None]:
    actor = actor_of(request)
    rel = _relationship(actor, relationship_id, Perm.CUSTOMER_EDIT)
    with audit_channel("api"):
        actions.delete_relationship(rel, by=actor)
    return 204, None
