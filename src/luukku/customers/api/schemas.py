"""Request and response shapes of the customers API, and the functions that fill them."""

import datetime
from typing import Any

from django.db.models import QuerySet
from ninja import Field, Schema
from ninja.errors import HttpError

from luukku.core.models import User
from luukku.core.restapi.schema import StrictSchema
from luukku.customers.access import custom_fields_visible_to
from luukku.customers.actions.contacts import ContactChanges
from luukku.customers.models import (
    CustomField,
    Event,
    Organization,
    Person,
    Relationship,
    Sensitivity,
)
from luukku.customers.models.contacts import ContactPoint
from luukku.customers.models.parties import Channel
from luukku.customers.timeline_query import BadCursor, TimelineFilter, timeline_page


class EmailIn(StrictSchema):
    address: str = Field(max_length=254)
    kind: ContactPoint.Kind = ContactPoint.Kind.OTHER
    is_primary: bool = False
    is_verified: bool = False


class PhoneIn(StrictSchema):
    number: str = Field(max_length=40, description="Any common format; stored as E.164.")
    kind: ContactPoint.Kind = ContactPoint.Kind.MOBILE
    is_primary: bool = False
    is_verified: bool = False


class AddressIn(StrictSchema):
    street: str = Field(max_length=300)
    postal_code: str = Field(max_length=16)
    city: str = Field(max_length=100)
    country: str = Field("NO", min_length=2, max_length=2)
    kind: ContactPoint.Kind = ContactPoint.Kind.HOME
    is_primary: bool = False


class IdentityIn(StrictSchema):
    source: str
    external_id: str = Field(min_length=1, max_length=200)


class ContactsIn(StrictSchema):
    emails: list[EmailIn] | None = None
    phones: list[PhoneIn] | None = None
    addresses: list[AddressIn] | None = None

    def contact_changes(self) -> ContactChanges | None:
        if self.emails is None and self.phones is None and self.addresses is None:
            return None

        def dump(rows: list[Any] | None) -> list[dict[str, Any]] | None:
            return None if rows is None else [row.dict() for row in rows]

        return ContactChanges(
            emails=dump(self.emails), phones=dump(self.phones), addresses=dump(self.addresses)
        )


class PersonIn(ContactsIn):
    first_name: str = Field("", max_length=150)
    last_name: str = Field("", max_length=150)
    date_of_birth: datetime.date | None = None
    gender: Person.Gender | None = None
    preferred_language: str = Field("", max_length=8)
    preferred_channel: Channel | None = None
    custom: dict[str, Any] = {}
    org_unit_id: int | None = None
    sensitivity: Sensitivity = Sensitivity.NORMAL
    identities: list[IdentityIn] = []

    def values(self) -> dict[str, Any]:
        data = self.dict(include=set(PERSON_VALUE_FIELDS))
        return {k: ("" if v is None and k != "date_of_birth" else v) for k, v in data.items()}


class PersonPatch(ContactsIn):
    first_name: str | None = Field(None, max_length=150)
    last_name: str | None = Field(None, max_length=150)
    date_of_birth: datetime.date | None = None
    gender: Person.Gender | None = None
    preferred_language: str | None = Field(None, max_length=8)
    preferred_channel: Channel | None = None
    custom: dict[str, Any] | None = None

    def values(self) -> dict[str, Any]:
        return self.dict(include=set(PERSON_VALUE_FIELDS), exclude_unset=True)


class OrganizationIn(ContactsIn):
    name: str = Field(min_length=1, max_length=300)
    kind: Organization.Kind = Organization.Kind.COMPANY
    registration_number: str = Field("", max_length=32)
    preferred_language: str = Field("", max_length=8)
    custom: dict[str, Any] = {}
    org_unit_id: int | None = None
    sensitivity: Sensitivity = Sensitivity.NORMAL
    identities: list[IdentityIn] = []

    def values(self) -> dict[str, Any]:
        return self.dict(include=set(ORGANIZATION_VALUE_FIELDS))


class OrganizationPatch(ContactsIn):
    name: str | None = Field(None, min_length=1, max_length=300)
    kind: Organization.Kind | None = None
    registration_number: str | None = Field(None, max_length=32)
    preferred_language: str | None = Field(None, max_length=8)
    custom: dict[str, Any] | None = None

    def values(self) -> dict[str, Any]:
        return self.dict(include=set(ORGANIZATION_VALUE_FIELDS), exclude_unset=True)


PERSON_VALUE_FIELDS = (
    "first_name",
    "last_name",
    "date_of_birth",
    "gender",
    "preferred_language",
    "preferred_channel",
)
ORGANIZATION_VALUE_FIELDS = ("name", "kind", "registration_number", "preferred_language")


class EventOut(Schema):
    id: int
    type: str
    occurred_at: datetime.datetime
    source: str
    org_unit_id: int | None
    sensitivity: str
    payload: dict[str, Any]


class TimelineParams(Schema):
    limit: int = Field(50, ge=1, le=200)
    cursor: str | None = None
    type: str | None = Field(None, description="A type, or a namespace ending in '.'")
    org_unit_id: int | None = None
    source: str | None = None
    since: datetime.datetime | None = None
    until: datetime.datetime | None = None


class TimelinePage(Schema):
    items: list[EventOut]
    next_cursor: str | None


def events_page(events: QuerySet[Event], params: TimelineParams) -> dict[str, Any]:
    """One newest-first page of `events` filtered by `params`, as the API returns it."""
    try:
        page, next_cursor = timeline_page(
            events,
            cursor=params.cursor,
            limit=params.limit,
            filters=TimelineFilter(
                type=params.type,
                org_unit_id=params.org_unit_id,
                source=params.source,
                since=params.since,
                until=params.until,
            ),
        )
    except BadCursor as exc:
        raise HttpError(400, str(exc)) from None
    return {"items": [event_out(e) for e in page], "next_cursor": next_cursor}


class PartyOut(Schema):
    """What persons and organizations share."""

    id: int
    preferred_language: str
    org_unit_id: int | None
    sensitivity: str
    emails: list[dict[str, Any]]
    phones: list[dict[str, Any]]
    addresses: list[dict[str, Any]]
    identities: list[dict[str, Any]]
    custom: dict[str, Any]
    field_sources: dict[str, Any]
    created_at: datetime.datetime
    updated_at: datetime.datetime


class PersonOut(PartyOut):
    first_name: str
    last_name: str
    full_name: str
    date_of_birth: datetime.date | None
    gender: str
    preferred_channel: str


class PersonDetail(PersonOut):
    relationships: list[dict[str, Any]]
    timeline: list[EventOut]
    timeline_next_cursor: str | None


class OrganizationOut(PartyOut):
    name: str
    kind: str
    registration_number: str


class RelationshipOut(Schema):
    id: int
    type: str
    label: str
    reverse_label: str
    person_id: int
    other_person_id: int | None
    other_organization_id: int | None
    valid_from: datetime.date | None
    valid_to: datetime.date | None
    source: str
    org_unit_id: int | None
    sensitivity: str


def contact_rows(party: Person | Organization) -> dict[str, list[dict[str, Any]]]:
    """Contact points of a party whose emailaddresss/phonenumbers/postaladdresss are prefetched."""
    return {
        "emails": [
            {
                "address": e.address,
                "kind": e.kind,
                "is_primary": e.is_primary,
                "is_verified": e.is_verified,
                "source": e.source,
            }
            for e in party.emailaddresss.all()
        ],
        "phones": [
            {
                "number": p.number,
                "kind": p.kind,
                "is_primary": p.is_primary,
                "is_verified": p.is_verified,
                "source": p.source,
            }
            for p in party.phonenumbers.all()
        ],
        "addresses": [
            {
                "street": a.street,
                "postal_code": a.postal_code,
                "city": a.city,
                "country": a.country,
                "kind": a.kind,
                "is_primary": a.is_primary,
            }
            for a in party.postaladdresss.all()
        ],
        "identities": [
            {
                "source": i.source.code,
                "external_id": i.external_id,
                "link": i.source.link_for(i.external_id),
            }
            for i in party.identities.all()
        ],
    }


PARTY_PREFETCH = ("emailaddresss", "phonenumbers", "postaladdresss", "identities__source")


def visible_custom_keys(actor: User, entity: str) -> set[str]:
    return {f.key for f in custom_fields_visible_to(actor, entity)}


def _party_out(party: Person | Organization, *, custom_keys: set[str]) -> dict[str, Any]:
    """The fields persons and organizations share; custom values only where visible."""
    return {
        "id": party.pk,
        "preferred_language": party.preferred_language,
        "org_unit_id": party.org_unit_id,
        "sensitivity": party.sensitivity,
        **contact_rows(party),
        "custom": {k: v for k, v in party.custom.items() if k in custom_keys},
        "field_sources": {
            k: v
            for k, v in party.field_sources.items()
            if not k.startswith("custom.") or k[7:] in custom_keys
        },
        "created_at": party.created_at,
        "updated_at": party.updated_at,
    }


def person_out(person: Person, *, custom_keys: set[str]) -> dict[str, Any]:
    return {
        **_party_out(person, custom_keys=custom_keys),
        "first_name": person.first_name,
        "last_name": person.last_name,
        "full_name": person.full_name,
        "date_of_birth": person.date_of_birth,
        "gender": person.gender,
        "preferred_channel": person.preferred_channel,
    }


def organization_out(organization: Organization, *, custom_keys: set[str]) -> dict[str, Any]:
    return {
        **_party_out(organization, custom_keys=custom_keys),
        "name": organization.name,
        "kind": organization.kind,
        "registration_number": organization.registration_number,
    }


def relationship_out(rel: Relationship) -> dict[str, Any]:
    return {
        "id": rel.pk,
        "type": rel.type.code,
        "label": rel.type.label,
        "reverse_label": rel.type.reverse_label,
        "person_id": rel.person_id,
        "other_person_id": rel.other_person_id,
        "other_organization_id": rel.other_organization_id,
        "valid_from": rel.valid_from,
        "valid_to": rel.valid_to,
        "source": rel.source,
        "org_unit_id": rel.org_unit_id,
        "sensitivity": rel.sensitivity,
    }


def event_out(event: Event) -> dict[str, Any]:
    return {
        "id": event.pk,
        "type": event.type,
        "occurred_at": event.occurred_at,
        "source": event.source,
        "org_unit_id": event.org_unit_id,
        "sensitivity": event.sensitivity,
        "payload": event.payload,
    }


ENTITY_PERSON = CustomField.Entity.PERSON
ENTITY_ORGANIZATION = CustomField.Entity.ORGANIZATION
