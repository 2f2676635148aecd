"""List filters for persons and organizations, shared by the staff UI and the API."""

from __future__ import annotations

import datetime

from django.db.models import Q, QuerySet

from luukku.customers.models import Organization, Person
from luukku.customers.validation import phone_search_forms


def filter_persons(
    persons: QuerySet[Person],
    *,
    q: str | None = None,
    email: str | None = None,
    phone: str | None = None,
    source: str | None = None,
    external_id: str | None = None,
    org_unit_id: int | None = None,
    updated_since: datetime.datetime | None = None,
) -> QuerySet[Person]:
    if q:
        for word in q.split():
            persons = persons.filter(full_name__icontains=word)
    if email:
        persons = persons.filter(emailaddresss__address_lower=email.strip().lower())
    if phone:
        persons = persons.filter(phonenumbers__number__in=phone_search_forms(phone) or [phone])
    if source and external_id:
        persons = persons.filter(
            identities__source__code=source, identities__external_id=external_id
        )
    elif source:
        persons = persons.filter(identities__source__code=source)
    if org_unit_id:
        persons = persons.filter(org_unit_id=org_unit_id)
    if updated_since:
        persons = persons.filter(updated_at__gte=updated_since)
    return persons.distinct() if (email or phone or source) else persons


def filter_organizations(
    organizations: QuerySet[Organization],
    *,
    q: str | None = None,
    registration_number: str | None = None,
    source: str | None = None,
    external_id: str | None = None,
) -> QuerySet[Organization]:
    if q:
        for word in q.split():
            organizations = organizations.filter(name__icontains=word)
    if registration_number:
        organizations = organizations.filter(registration_number=registration_number)
    if source:
        query = Q(identities__source__code=source)
        if external_id:
            query &= Q(identities__external_id=external_id)
        organizations = organizations.filter(query).distinct()
    return organizations
