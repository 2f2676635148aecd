"""Ties between persons, and between persons and organizations."""

from __future__ import annotations

import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from luukku.core.actions import audit
from luukku.core.models import AuditEntry, OrgUnit, User
from luukku.customers import auditing
from luukku.customers.actions.timeline import append_event
from luukku.customers.models import (
    Organization,
    Person,
    Relationship,
    RelationshipType,
    Sensitivity,
)

RELATIONSHIP_FIELDS = ("valid_from", "valid_to")


def _timeline(rel: Relationship, kind: str, by: User | None) -> None:
    payload = {
        "relationship_id": rel.pk,
        "type": rel.type.code,
        "by": by.get_username() if by else "system",
    }
    other = rel.other_person or rel.other_organization
    append_event(
        rel.person,
        type=f"luukku.relationship_{kind}",
        org_unit=rel.org_unit,
        sensitivity=rel.sensitivity,
        payload={**payload, "label": rel.type.label, "other": str(other)},
    )
    if rel.other_person is not None:
        append_event(
            rel.other_person,
            type=f"luukku.relationship_{kind}",
            org_unit=rel.org_unit,
            sensitivity=rel.sensitivity,
            payload={**payload, "label": rel.type.reverse_label, "other": str(rel.person)},
        )


def relationship_scope(
    person: Person,
    other: Person | Organization,
    org_unit: OrgUnit | None,
    sensitivity: str,
) -> tuple[OrgUnit | None, str]:
    """The unit and sensitivity a relationship must have: a tie to a restricted record is
    itself restricted to that record's unit (it would otherwise tell others about it)."""
    restricted = [p for p in (person, other) if p.sensitivity == Sensitivity.RESTRICTED]
    if not restricted:
        return org_unit, sensitivity
    units = {p.org_unit_id for p in restricted}
    if len(units) > 1:
        raise ValidationError(
            _("These two records are restricted to different org units and cannot be linked.")
        )
    return restricted[0].org_unit, Sensitivity.RESTRICTED


@transaction.atomic
def create_relationship(
    *,
    type: RelationshipType,
    person: Person,
    other: Person | Organization,
    valid_from: datetime.date | None = None,
    valid_to: datetime.date | None = None,
    source: str = "luukku",
    org_unit: OrgUnit | None = None,
    sensitivity: str = Sensitivity.NORMAL,
    by: User | None,
) -> Relationship:
    org_unit, sensitivity = relationship_scope(person, other, org_unit, sensitivity)
    rel = Relationship(
        type=type,
        person=person,
        other_person=other if isinstance(other, Person) else None,
        other_organization=other if isinstance(other, Organization) else None,
        valid_from=valid_from,
        valid_to=valid_to,
        source=source,
        org_unit=org_unit,
        sensitivity=sensitivity,
    )
    rel.full_clean()
    rel.save()
    audit.record(
        actor=by,
        action=AuditEntry.Action.CREATE,
        obj=rel,
        org_unit=org_unit,
        changes=auditing.changes(
            rel,
            {
                "type": [None, type.code],
                "other": [None, str(other)],
                **{k: [None, v] for k, v in audit.snapshot(rel, RELATIONSHIP_FIELDS).items() if v},
            },
        ),
        object_repr=auditing.label(rel),
    )
    _timeline(rel, "added", by)
    return rel


@transaction.atomic
def update_relationship(
    rel: Relationship, *, changes: dict[str, Any], by: User | None
) -> Relationship:
    before = audit.snapshot(rel, RELATIONSHIP_FIELDS)
    for name in RELATIONSHIP_FIELDS:
        if name in changes:
            setattr(rel, name, changes[name])
    rel.full_clean()
    rel.save()
    changed = audit.diff(before, audit.snapshot(rel, RELATIONSHIP_FIELDS))
    if changed:
        audit.record(
            actor=by,
            action=AuditEntry.Action.UPDATE,
            obj=rel,
            org_unit=rel.org_unit,
            changes=auditing.changes(rel, changed),
            object_repr=auditing.label(rel),
        )
        _timeline(rel, "changed", by)
    return rel


@transaction.atomic
def delete_relationship(rel: Relationship, *, by: User | None) -> None:
    audit.record(
        actor=by,
        action=AuditEntry.Action.DELETE,
        obj=rel,
        org_unit=rel.org_unit,
        changes=auditing.changes(
            rel,
            {
                "type": [rel.type.code, None],
                "other": [str(rel.other_person or rel.other_organization), None],
            },
        ),
        object_repr=auditing.label(rel),
    )
    _timeline(rel, "removed", by)
    rel.delete()
