from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from luukku.core.actions import audit
from luukku.core.models import AuditEntry, Organization, OrgUnit, User

ORG_UNIT_FIELDS = ("name", "slug", "parent", "time_zone", "language")


class OrgTreeError(ValueError):
    pass


def _place(unit: OrgUnit) -> None:
    parent_path = unit.parent.path if unit.parent else "/"
    unit.path = f"{parent_path}{unit.pk}/"
    unit.depth = unit.parent.depth + 1 if unit.parent else 0


@transaction.atomic
def create_org_unit(
    *,
    organization: Organization,
    name: str,
    slug: str,
    parent: OrgUnit | None,
    time_zone: str | None = None,
    language: str | None = None,
    by: User | None,
) -> OrgUnit:
    unit = OrgUnit(
        organization=organization,
        parent=parent,
        name=name,
        slug=slug,
        time_zone=time_zone or (parent.time_zone if parent else organization.time_zone),
        language=language or (parent.language if parent else organization.language),
    )
    unit.full_clean(exclude=["path", "depth"])
    unit.save()
    _place(unit)
    unit.save(update_fields=["path", "depth"])
    audit.record(
        actor=by,
        action=AuditEntry.Action.CREATE,
        obj=unit,
        org_unit=unit,
        changes={k: [None, v] for k, v in audit.snapshot(unit, ORG_UNIT_FIELDS).items()},
    )
    return unit


@transaction.atomic
def update_org_unit(unit: OrgUnit, *, changes: dict[str, Any], by: User | None) -> OrgUnit:
    unknown = set(changes) - set(ORG_UNIT_FIELDS)
    if unknown:
        raise OrgTreeError(_("Unknown fields: %(fields)s") % {"fields": ", ".join(sorted(unknown))})
    before = audit.snapshot(unit, ORG_UNIT_FIELDS)
    new_parent = changes.get("parent", unit.parent)
    if new_parent is not None and new_parent.is_within(unit):
        raise OrgTreeError(_("A unit cannot be moved below itself."))
    for name, value in changes.items():
        setattr(unit, name, value)
    unit.full_clean(exclude=["path", "depth"])
    old_path = unit.path
    _place(unit)
    unit.save()
    if unit.path != old_path:
        for child in OrgUnit.objects.filter(path__startswith=old_path).exclude(pk=unit.pk):
            child.path = unit.path + child.path[len(old_path) :]
            child.depth = child.path.count("/") - 2
            child.save(update_fields=["path", "depth"])
    changed = audit.diff(before, audit.snapshot(unit, ORG_UNIT_FIELDS))
    if changed:
        audit.record(
            actor=by, action=AuditEntry.Action.UPDATE, obj=unit, org_unit=unit, changes=changed
        )
    return unit
