"""Who may see and change which customer data.

Persons and organizations form one shared view across the organization:
anyone who may see customers sees every record marked *normal*. A record or
timeline entry marked *restricted* (say, from the health service) is shown
only to staff who hold the permission in its org unit (or a unit above it).
Views, API handlers and commands load customer data only through here.
"""

from __future__ import annotations

from django.db.models import Q, QuerySet
from django.http import Http404
from django.utils.translation import gettext as _

from luukku.core.access import (
    AccessDenied,
    Perm,
    can,
    is_organization_admin,
    units_for_restricted,
    units_where,
)
from luukku.core.models import OrgUnit, User
from luukku.customers.models import (
    CustomField,
    Event,
    ImportRun,
    Organization,
    Person,
    Relationship,
    Sensitivity,
)


def _visible(actor: User, perm: Perm) -> Q | None:
    """The filter for records `actor` may see with `perm`; None when they may see none."""
    if not can(actor, perm):
        return None
    return Q(sensitivity=Sensitivity.NORMAL) | Q(org_unit__in=units_for_restricted(actor, perm))


def visible_through(actor: User, relation: str, perm: Perm = Perm.CUSTOMER_VIEW) -> Q:
    """The visibility filter for rows that point at a person or organization through
    `relation` (e.g. "person" on identities): a join, not a subquery, for large batches."""
    query = _visible(actor, perm)
    if query is None:
        return Q(pk__in=[])
    return Q(**{f"{relation}__sensitivity": Sensitivity.NORMAL}) | Q(
        **{f"{relation}__org_unit__in": units_for_restricted(actor, perm)}
    )


def hidden_persons(actor: User, ids: list[int], perm: Perm = Perm.CUSTOMER_VIEW) -> set[int]:
    """Which of `ids` `actor` may not see with `perm`: for batches that found persons
    without loading them. Reads only the small index of restricted persons."""
    if not can(actor, perm):
        return set(ids)
    return set(
        Person.objects.filter(pk__any=frozenset(ids), sensitivity=Sensitivity.RESTRICTED)
        .exclude(org_unit__in=units_for_restricted(actor, perm))
        .values_list("pk", flat=True)
    )


def persons_visible_to(actor: User, perm: Perm = Perm.CUSTOMER_VIEW) -> QuerySet[Person]:
    query = _visible(actor, perm)
    return Person.objects.none() if query is None else Person.objects.filter(query)


def organizations_visible_to(
    actor: User, perm: Perm = Perm.CUSTOMER_VIEW
) -> QuerySet[Organization]:
    query = _visible(actor, perm)
    return Organization.objects.none() if query is None else Organization.objects.filter(query)


def person_for_actor(actor: User, person_id: int, perm: Perm = Perm.CUSTOMER_VIEW) -> Person:
    """One person for `actor`: 404 if there is none, 403 if it is not theirs to see or change."""
    person = persons_visible_to(actor, perm).filter(pk=person_id).first()
    if person is not None:
        return person
    if not Person.objects.filter(pk=person_id).exists():
        raise Http404(_("No such person."))
    raise AccessDenied(_("You do not have permission to do this here."))


def organization_for_actor(
    actor: User, organization_id: int, perm: Perm = Perm.CUSTOMER_VIEW
) -> Organization:
    organization = organizations_visible_to(actor, perm).filter(pk=organization_id).first()
    if organization is not None:
        return organization
    if not Organization.objects.filter(pk=organization_id).exists():
        raise Http404(_("No such organization."))
    raise AccessDenied(_("You do not have permission to do this here."))


def events_visible_to(actor: User, person: Person) -> QuerySet[Event]:
    query = _visible(actor, Perm.CUSTOMER_VIEW)
    if query is None:
        return Event.objects.none()
    return Event.objects.filter(query, person=person)


def all_events_visible_to(actor: User) -> QuerySet[Event]:
    """Events across persons: normal ones of visible persons, restricted ones of `actor`'s units."""
    query = _visible(actor, Perm.CUSTOMER_VIEW)
    if query is None:
        return Event.objects.none()
    return Event.objects.filter(query, person__in=persons_visible_to(actor))


def relationships_visible_to(actor: User) -> QuerySet[Relationship]:
    query = _visible(actor, Perm.CUSTOMER_VIEW)
    if query is None:
        return Relationship.objects.none()
    persons = persons_visible_to(actor)
    return (
        Relationship.objects.filter(query, person__in=persons)
        .filter(Q(other_person__isnull=True) | Q(other_person__in=persons))
        .filter(
            Q(other_organization__isnull=True)
            | Q(other_organization__in=organizations_visible_to(actor))
        )
    )


def custom_fields_visible_to(actor: User, entity: str) -> list[CustomField]:
    """The custom fields whose values `actor` may see on records of `entity`."""
    query = _visible(actor, Perm.CUSTOMER_VIEW)
    if query is None:
        return []
    return list(CustomField.objects.filter(query, entity=entity))


def custom_fields_writable_by(actor: User, entity: str) -> set[str]:
    """Keys of custom fields `actor` may set: normal ones, and restricted ones of their units."""
    units = set(units_for_restricted(actor, Perm.CUSTOMER_EDIT).values_list("pk", flat=True))
    return {
        f.key
        for f in CustomField.objects.filter(entity=entity)
        if f.sensitivity == Sensitivity.NORMAL or f.org_unit_id in units
    }


def import_runs_visible_to(actor: User) -> QuerySet[ImportRun]:
    """Runs `actor` may open: their own, those of units where they import, and (for
    organization administrators) runs without a unit. Restricted runs need unit staff."""
    query = Q(created_by=actor) | Q(org_unit__in=units_where(actor, Perm.CUSTOMER_IMPORT))
    if is_organization_admin(actor):
        query |= Q(org_unit__isnull=True)
    restricted_ok = units_for_restricted(actor, Perm.CUSTOMER_IMPORT)
    return ImportRun.objects.filter(query).filter(
        Q(created_by=actor) | Q(sensitivity=Sensitivity.NORMAL) | Q(org_unit__in=restricted_ok)
    )


def may_write_in(actor: User, unit: OrgUnit | None, sensitivity: str) -> bool:
    """Whether `actor` may write customer data belonging to `unit` with `sensitivity`."""
    if unit is None:
        return can(actor, Perm.CUSTOMER_EDIT) and sensitivity == Sensitivity.NORMAL
    if sensitivity == Sensitivity.RESTRICTED:
        return units_for_restricted(actor, Perm.CUSTOMER_EDIT).filter(pk=unit.pk).exists()
    return can(actor, Perm.CUSTOMER_EDIT, unit)


def require_write_in(actor: User, unit: OrgUnit | None, sensitivity: str) -> None:
    if not may_write_in(actor, unit, sensitivity):
        raise AccessDenied(_("You may not write customer data for this org unit."))
