"""Persons and organizations: list, read, create, change, and upsert by external identity."""

import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.http import HttpRequest
from ninja import Field, Query, Router, Schema
from ninja.errors import HttpError

from luukku.core.access import Perm
from luukku.core.actions.audit import audit_channel
from luukku.core.api import actor_of
from luukku.core.models import OrgUnit, User
from luukku.core.restapi.pagination import page_of
from luukku.customers import access, filters
from luukku.customers.actions import parties as actions
from luukku.customers.api.schemas import (
    ENTITY_ORGANIZATION,
    ENTITY_PERSON,
    PARTY_PREFETCH,
    IdentityIn,
    OrganizationIn,
    OrganizationOut,
    OrganizationPatch,
    PersonDetail,
    PersonIn,
    PersonOut,
    PersonPatch,
    TimelinePage,
    TimelineParams,
    event_out,
    events_page,
    organization_out,
    person_out,
    relationship_out,
    visible_custom_keys,
)
from luukku.customers.models import ExternalIdentity, Organization, Person, SourceSystem
from luukku.customers.timeline_query import TimelineFilter, timeline_page

router = Router(tags=["customers"])

TIMELINE_FIRST_PAGE = 20


class PersonPage(Schema):
    items: list[PersonOut]
    next_cursor: str | None


class OrganizationPage(Schema):
    items: list[OrganizationOut]
    next_cursor: str | None


class PageParams(Schema):
    limit: int = Field(50, ge=1, le=500)
    cursor: str | None = None


class PersonFilters(PageParams):
    q: str | None = Field(None, description="Words of the name.")
    email: str | None = None
    phone: str | None = Field(None, description="Any common format.")
    source: str | None = None
    external_id: str | None = None
    org_unit_id: int | None = None
    updated_since: datetime.datetime | None = None


class OrganizationFilters(PageParams):
    q: str | None = None
    registration_number: str | None = None
    source: str | None = None
    external_id: str | None = None


def _unit(unit_id: int | None) -> OrgUnit | None:
    if unit_id is None:
        return None
    unit = OrgUnit.objects.filter(pk=unit_id).first()
    if unit is None:
        raise ValidationError({"org_unit_id": ["No such org unit."]})
    return unit


def _sources(identities: list[IdentityIn]) -> list[tuple[SourceSystem, str]]:
    found = {
        s.code: s for s in SourceSystem.objects.filter(code__in={i.source for i in identities})
    }
    errors = {
        f"identities.{n}.source": ["Unknown source system."]
        for n, i in enumerate(identities)
        if i.source not in found
    }
    if errors:
        raise ValidationError(errors)
    return [(found[i.source], i.external_id) for i in identities]


def _source(code: str) -> SourceSystem:
    source = SourceSystem.objects.filter(code=code).first()
    if source is None:
        raise HttpError(404, f"No source system {code!r}.")
    return source


def _person(actor: User, person_id: int) -> dict[str, Any]:
    person = Person.objects.prefetch_related(*PARTY_PREFETCH).get(pk=person_id)
    return person_out(person, custom_keys=visible_custom_keys(actor, ENTITY_PERSON))


def _organization(actor: User, organization_id: int) -> dict[str, Any]:
    organization = Organization.objects.prefetch_related(*PARTY_PREFETCH).get(pk=organization_id)
    return organization_out(
        organization, custom_keys=visible_custom_keys(actor, ENTITY_ORGANIZATION)
    )


def _create(
    actor: User, model: type[Person] | type[Organization], payload: PersonIn | OrganizationIn
) -> Person | Organization:
    unit = _unit(payload.org_unit_id)
    access.require_write_in(actor, unit, payload.sensitivity)
    identities = _sources(payload.identities)
    with audit_channel("api"), transaction.atomic():
        outcome = actions.create_party(
            model,
            values=payload.values(),
            custom=payload.custom,
            contacts=payload.contact_changes(),
            org_unit=unit,
            sensitivity=payload.sensitivity,
            identity=(identities[0][0], identities[0][1], {}) if identities else None,
            by=actor,
        )
        for source, external_id in identities[1:]:
            actions.link_identity(outcome.party, source, external_id, {})
    return outcome.party


def _upsert(
    actor: User,
    model: type[Person] | type[Organization],
    source_code: str,
    external_id: str,
    payload: PersonIn | OrganizationIn,
) -> tuple[bool, Person | Organization]:
    if payload.identities:
        raise ValidationError({"identities": ["The identity is given by the URL."]})
    source = _source(source_code)
    owner = "person" if model is Person else "organization"
    existing = ExternalIdentity.objects.filter(
        source=source, external_id=external_id, **{f"{owner}__isnull": False}
    ).first()
    unit = _unit(payload.org_unit_id)
    if existing is not None:
        loader = access.person_for_actor if model is Person else access.organization_for_actor
        loader(actor, getattr(existing, f"{owner}_id"), Perm.CUSTOMER_EDIT)
    else:
        access.require_write_in(actor, unit, payload.sensitivity)
    with audit_channel("api"):
        outcome = actions.upsert_by_identity(
            model,
            source=source,
            external_id=external_id,
            values=payload.values(),
            custom=payload.custom,
            contacts=payload.contact_changes(),
            org_unit=unit,
            sensitivity=payload.sensitivity,
            by=actor,
        )
    return outcome.created, outcome.party


# --- persons -----------------------------------------------------------------


@router.get("/persons", response=PersonPage)
def list_persons(request: HttpRequest, filters_: Query[PersonFilters]) -> dict[str, Any]:
    actor = actor_of(request)
    persons = filters.filter_persons(
        access.persons_visible_to(actor),
        **filters_.dict(exclude={"limit", "cursor"}),
    ).prefetch_related(*PARTY_PREFETCH)
    page, next_cursor = page_of(persons, cursor=filters_.cursor, limit=filters_.limit)
    keys = visible_custom_keys(actor, ENTITY_PERSON)
    return {"items": [person_out(p, custom_keys=keys) for p in page], "next_cursor": next_cursor}


@router.get("/persons/{person_id}", response=PersonDetail)
def get_person(request: HttpRequest, person_id: int) -> dict[str, Any]:
    """The whole profile with the newest timeline page; the look is audited."""
    actor = actor_of(request)
    person = access.person_for_actor(actor, person_id)
    actions.record_profile_view(actor=actor, party=person, via="api")
    events, next_cursor = timeline_page(
        access.events_visible_to(actor, person),
        cursor=None,
        limit=TIMELINE_FIRST_PAGE,
        filters=TimelineFilter(),
    )
    relationships = (
        access.relationships_visible_to(actor)
        .filter(Q(person=person) | Q(other_person=person))
        .select_related("type")
        .order_by("pk")
    )
    return {
        **_person(actor, person.pk),
        "relationships": [relationship_out(r) for r in relationships],
        "timeline": [event_out(e) for e in events],
        "timeline_next_cursor": next_cursor,
    }


@router.get("/persons/{person_id}/events", response=TimelinePage)
def person_timeline(
    request: HttpRequest, person_id: int, params: Query[TimelineParams]
) -> dict[str, Any]:
    actor = actor_of(request)
    person = access.person_for_actor(actor, person_id)
    return events_page(access.events_visible_to(actor, person), params)


@router.post("/persons", response={201: PersonOut})
def create_person(request: HttpRequest, payload: PersonIn) -> tuple[int, dict[str, Any]]:
    actor = actor_of(request)
    person = _create(actor, Person, payload)
    return 201, _person(actor, person.pk)


@router.patch("/persons/{person_id}", response=PersonOut)
def update_person(request: HttpRequest, person_id: int, payload: PersonPatch) -> dict[str, Any]:
    actor = actor_of(request)
    person = access.person_for_actor(actor, person_id, Perm.CUSTOMER_EDIT)
    with audit_channel("api"):
        actions.update_party(
            person,
            values=payload.values(),
            custom=payload.custom,
            contacts=payload.contact_changes(),
            by=actor,
        )
    return _person(actor, person.pk)


@router.put(
    "/persons/by-identity/{source}/{external_id}", response={200: PersonOut, 201: PersonOut}
)
def upsert_person(
    request: HttpRequest, source: str, external_id: str, payload: PersonIn
) -> tuple[int, dict[str, Any]]:
    """Create or update the person known in `source` as `external_id`."""
    actor = actor_of(request)
    created, person = _upsert(actor, Person, source, external_id, payload)
    return (201 if created else 200), _person(actor, person.pk)


# --- organizations -----------------------------------------------------------


@router.get("/organizations", response=OrganizationPage)
def list_organizations(
    request: HttpRequest, filters_: Query[OrganizationFilters]
) -> dict[str, Any]:
    actor = actor_of(request)
    organizations = filters.filter_organizations(
        access.organizations_visible_to(actor), **filters_.dict(exclude={"limit", "cursor"})
    ).prefetch_related(*PARTY_PREFETCH)
    page, next_cursor = page_of(organizations, cursor=filters_.cursor, limit=filters_.limit)
    keys = visible_custom_keys(actor, ENTITY_ORGANIZATION)
    return {
        "items": [organization_out(o, custom_keys=keys) for o in page],
        "next_cursor": next_cursor,
    }


@router.get("/organizations/{organization_id}", response=OrganizationOut)
def get_organization(request: HttpRequest, organization_id: int) -> dict[str, Any]:
    actor = actor_of(request)
    organization = access.organization_for_actor(actor, organization_id)
    actions.record_profile_view(actor=actor, party=organization, via="api")
    return _organization(actor, organization.pk)


@router.post("/organizations", response={201: OrganizationOut})
def create_organization(
    request: HttpRequest, payload: OrganizationIn
) -> tuple[int, dict[str, Any]]:
    actor = actor_of(request)
    organization = _create(actor, Organization, payload)
    return 201, _organization(actor, organization.pk)


@router.patch("/organizations/{organization_id}", response=OrganizationOut)
def update_organization(
    request: HttpRequest, organization_id: int, payload: OrganizationPatch
) -> dict[str, Any]:
    actor = actor_of(request)
    organization = access.organization_for_actor(actor, organization_id, Perm.CUSTOMER_EDIT)
    with audit_channel("api"):
        actions.update_party(
            organization,
            values=payload.values(),
            custom=payload.custom,
            contacts=payload.contact_changes(),
            by=actor,
        )
    return _organization(actor, organization.pk)


@router.put(
    "/organizations/by-identity/{source}/{external_id}",
    response={200: OrganizationOut, 201: OrganizationOut},
)
def upsert_organization(
    request: HttpRequest, source: str, external_id: str, payload: OrganizationIn
) -> tuple[int, dict[str, Any]]:
    actor = actor_of(request)
    created, organization = _upsert(actor, Organization, source, external_id, payload)
    return (201 if created else 200), _organization(actor, organization.pk)
