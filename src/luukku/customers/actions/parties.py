"""Creating and changing persons and organizations, with provenance, audit and timeline."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from luukku.core import webhooks
from luukku.core.actions import audit
from luukku.core.models import AuditEntry, OrgUnit, User
from luukku.customers import access, auditing
from luukku.customers.actions import provenance
from luukku.customers.actions.contacts import ContactChanges, apply_contacts, clean_contacts
from luukku.customers.actions.timeline import NewEvent, append_events, append_one
from luukku.customers.models import (
    CustomField,
    ExternalIdentity,
    Organization,
    Person,
    Sensitivity,
    SourceSystem,
)
from luukku.customers.validation import clean_custom, records_gender

PERSON_FIELDS = (
    "first_name",
    "last_name",
    "date_of_birth",
    "gender",
    "preferred_language",
    "preferred_channel",
)
ORGANIZATION_FIELDS = ("name", "kind", "registration_number", "preferred_language")


@dataclass
class Outcome:
    """What a create or update did: the record, what changed, and what a source could not set."""

    party: Person | Organization
    created: bool
    changed: list[str] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)


def _fields_for(party: Person | Organization) -> tuple[str, ...]:
    return PERSON_FIELDS if isinstance(party, Person) else ORGANIZATION_FIELDS


def _entity(party: Person | Organization) -> str:
    return (
        CustomField.Entity.PERSON if isinstance(party, Person) else CustomField.Entity.ORGANIZATION
    )


def _apply(
    party: Person | Organization,
    *,
    values: dict[str, Any],
    custom: dict[str, Any] | None,
    source: SourceSystem | None,
    by: User | None,
) -> tuple[list[str], list[str]]:
    """Set allowed fields on the in-memory record; returns (changed, kept)."""
    unknown = set(values) - set(_fields_for(party))
    if unknown:
        raise ValidationError({name: [_("Unknown field.")] for name in sorted(unknown)})
    if values.get("gender") and not records_gender():
        raise ValidationError({"gender": [_("This organization does not record gender.")]})
    priorities = _priorities()
    changed: list[str] = []
    kept: list[str] = []
    for name, value in values.items():
        if value is None:
            value = "" if name != "date_of_birth" else None
        if getattr(party, name) == value:
            continue
        if not provenance.may_overwrite(party, name, source, priorities):
            kept.append(name)
            continue
        setattr(party, name, value)
        provenance.mark(party, name, source)
        changed.append(name)
    if custom and by is not None:
        forbidden = sorted(set(custom) - access.custom_fields_writable_by(by, _entity(party)))
        known = {f.key for f in CustomField.objects.filter(entity=_entity(party))}
        forbidden = [k for k in forbidden if k in known]
        if forbidden:
            raise ValidationError(
                {f"custom.{k}": [_("You may not set this field.")] for k in forbidden}
            )
    if custom:
        allowed = {
            k: v
            for k, v in custom.items()
            if provenance.may_overwrite(party, f"custom.{k}", source, priorities)
        }
        kept += [f"custom.{k}" for k in custom if k not in allowed]
        cleaned = clean_custom(_entity(party), allowed, existing=party.custom)
        for key in allowed:
            if party.custom.get(key) != cleaned.get(key):
                changed.append(f"custom.{key}")
                provenance.mark(party, f"custom.{key}", source)
        party.custom = cleaned
    return changed, kept


def link_identity(
    party: Person | Organization, source: SourceSystem, external_id: str, payload: dict[str, Any]
) -> None:
    owner = "person" if isinstance(party, Person) else "organization"
    identity = ExternalIdentity.objects.filter(source=source, external_id=external_id).first()
    if identity is None:
        identity = ExternalIdentity(source=source, external_id=external_id, **{owner: party})
    elif getattr(identity, f"{owner}_id") != party.pk:
        raise ValidationError(
            {
                "identity": [
                    _("%(source)s id %(id)s belongs to another record.")
                    % {"source": source.code, "id": external_id}
                ]
            }
        )
    identity.payload = payload
    identity.save()


@dataclass
class _Together:
    """What `notifications_together` collects, and the field rules it reads once."""

    audit: list[AuditEntry] = field(default_factory=list)
    webhooks: list[tuple[str, dict[str, Any], OrgUnit | None, bool]] = field(default_factory=list)
    events: list[NewEvent] = field(default_factory=list)
    priorities: dict[str, int] | None = None
    hidden: dict[str, dict[str, OrgUnit | None]] = field(default_factory=dict)


_together: ContextVar[_Together | None] = ContextVar("party_notifications", default=None)


@contextmanager
def notifications_together() -> Iterator[None]:
    """Within the block, the audit entries, webhooks and timeline events of the parties
    created or changed are written together when it ends, one statement each, and the
    field rules are read once: for creating many persons at a time (mail in batches).
    Use inside the transaction that makes the changes."""
    together = _Together()
    token = _together.set(together)
    try:
        yield
    finally:
        _together.reset(token)
    AuditEntry.objects.bulk_create(together.audit)
    webhooks.emit_many(together.webhooks)
    append_events(together.events)


def _priorities() -> dict[str, int]:
    together = _together.get()
    if together is None:
        return provenance.field_priorities()
    if together.priorities is None:
        together.priorities = provenance.field_priorities()
    return together.priorities


def _hidden_fields(entity: str) -> dict[str, OrgUnit | None]:
    """Restricted custom fields of the entity: their changes are told only to their unit."""
    together = _together.get()
    if together is not None and entity in together.hidden:
        return together.hidden[entity]
    hidden = {
        f"custom.{f.key}": f.org_unit
        for f in CustomField.objects.filter(
            entity=entity, sensitivity=Sensitivity.RESTRICTED
        ).select_related("org_unit")
    }
    if together is not None:
        together.hidden[entity] = hidden
    return hidden


def _notify(
    party: Person | Organization,
    *,
    created: bool,
    fields: list[str],
    unit: OrgUnit | None,
    sensitivity: str,
    by: User | None,
    audit_changes: dict[str, Any],
) -> None:
    """One audit entry, webhook and timeline event for a change seen at one sensitivity."""
    restricted = sensitivity == Sensitivity.RESTRICTED
    entry = audit.entry(
        actor=by,
        action=AuditEntry.Action.CREATE if created else AuditEntry.Action.UPDATE,
        obj=party,
        org_unit=unit,
        changes={name: ["…", "…"] for name in audit_changes} if restricted else audit_changes,
        object_repr=f"{party._meta.verbose_name} #{party.pk}" if restricted else str(party),
        sensitivity=sensitivity,
    )
    kind = "person" if isinstance(party, Person) else "organization"
    hook = (
        f"{kind}.{'created' if created else 'updated'}",
        {kind: party.pk, "fields": sorted(set(fields))},
        unit,
        restricted,
    )
    event = (
        NewEvent(
            person_id=party.pk,
            type="luukku.person_created" if created else "luukku.person_updated",
            occurred_at=timezone.now(),
            org_unit_id=unit.pk if unit else None,
            sensitivity=sensitivity,
            payload={"fields": sorted(set(fields)), "by": by.get_username() if by else "system"},
        )
        if isinstance(party, Person)
        else None
    )
    together = _together.get()
    if together is not None:
        together.audit.append(entry)
        together.webhooks.append(hook)
        together.events += [event] if event else []
        return
    entry.save(force_insert=True)
    webhooks.emit_many([hook])
    if event is not None:
        append_one(event)


def _record(
    party: Person | Organization,
    *,
    created: bool,
    changed: list[str],
    before: dict[str, Any],
    by: User | None,
) -> None:
    """Audit, webhooks and timeline for a change. Changes to restricted custom fields of a
    normal record are told only to their own unit, so nobody else learns of them."""
    fields = _fields_for(party)
    after = audit.snapshot(party, fields)
    if created:
        changes = {k: [None, v] for k, v in after.items() if v not in ("", None)}
    else:
        changes = audit.diff(before, after)
    changes.update({name: ["…", "…"] for name in changed if name not in changes})
    hidden: dict[str, OrgUnit | None] = {}
    if party.sensitivity == Sensitivity.NORMAL:
        hidden = _hidden_fields(_entity(party))
    public = [name for name in changed if name not in hidden]
    if created or public or not changed:
        _notify(
            party,
            created=created,
            fields=public,
            unit=party.org_unit,
            sensitivity=party.sensitivity,
            by=by,
            audit_changes={k: v for k, v in changes.items() if k not in hidden},
        )
    by_unit: dict[OrgUnit | None, list[str]] = {}
    for name in changed:
        if name in hidden:
            by_unit.setdefault(hidden[name], []).append(name)
    for unit, names in by_unit.items():
        _notify(
            party,
            created=False,
            fields=names,
            unit=unit,
            sensitivity=Sensitivity.RESTRICTED,
            by=by,
            audit_changes={name: ["…", "…"] for name in names},
        )


@transaction.atomic
def create_party(
    model: type[Person] | type[Organization],
    *,
    values: dict[str, Any],
    custom: dict[str, Any] | None = None,
    contacts: ContactChanges | None = None,
    org_unit: OrgUnit | None = None,
    sensitivity: str = Sensitivity.NORMAL,
    source: SourceSystem | None = None,
    identity: tuple[SourceSystem, str, dict[str, Any]] | None = None,
    by: User | None,
) -> Outcome:
    contacts = clean_contacts(contacts) if contacts else None
    party = model(org_unit=org_unit, sensitivity=sensitivity)
    changed, kept = _apply(party, values=values, custom=custom or {}, source=source, by=by)
    if isinstance(party, Person) and not (party.first_name or party.last_name):
        raise ValidationError({"last_name": [_("A person needs a first or last name.")]})
    party.full_clean(exclude=["org_unit"])
    party.save()
    if contacts:
        changed += apply_contacts(
            party,
            contacts,
            source=provenance.source_code(source),
            replace=False,
            source_system=source,
            created=True,
        )
    if identity:
        link_identity(party, *identity)
    _record(party, created=True, changed=changed, before={}, by=by)
    return Outcome(party=party, created=True, changed=changed, kept=kept)


@transaction.atomic
def update_party(
    party: Person | Organization,
    *,
    values: dict[str, Any],
    custom: dict[str, Any] | None = None,
    contacts: ContactChanges | None = None,
    replace_contacts: bool = True,
    source: SourceSystem | None = None,
    identity_payload: tuple[SourceSystem, str, dict[str, Any]] | None = None,
    by: User | None,
) -> Outcome:
    contacts = clean_contacts(contacts) if contacts else None
    before = audit.snapshot(party, _fields_for(party))
    changed, kept = _apply(party, values=values, custom=custom, source=source, by=by)
    party.full_clean(exclude=["org_unit"])
    if contacts:
        changed += apply_contacts(
            party,
            contacts,
            source=provenance.source_code(source),
            replace=replace_contacts,
            source_system=source,
        )
    if identity_payload:
        link_identity(party, *identity_payload)
    if changed:
        party.save()
        _record(party, created=False, changed=changed, before=before, by=by)
    return Outcome(party=party, created=False, changed=changed, kept=kept)


@transaction.atomic
def upsert_by_identity(
    model: type[Person] | type[Organization],
    *,
    source: SourceSystem,
    external_id: str,
    values: dict[str, Any],
    custom: dict[str, Any] | None = None,
    contacts: ContactChanges | None = None,
    payload: dict[str, Any] | None = None,
    org_unit: OrgUnit | None = None,
    sensitivity: str = Sensitivity.NORMAL,
    by: User | None,
) -> Outcome:
    """Create the record known in `source` as `external_id`, or update it from that source."""
    owner_field = "person" if model is Person else "organization"
    identity = (
        ExternalIdentity.objects.select_for_update()
        .filter(source=source, external_id=external_id, **{f"{owner_field}__isnull": False})
        .select_related(owner_field)
        .first()
    )
    if identity is None:
        return create_party(
            model,
            values=values,
            custom=custom,
            contacts=contacts,
            org_unit=org_unit,
            sensitivity=sensitivity,
            source=source,
            identity=(source, external_id, payload or {}),
            by=by,
        )
    return update_party(
        getattr(identity, owner_field),
        values=values,
        custom=custom,
        contacts=contacts,
        replace_contacts=False,
        source=source,
        identity_payload=(source, external_id, payload or {}),
        by=by,
    )


def record_profile_view(*, actor: User, party: Person | Organization, via: str) -> None:
    """Every look at a profile is in the audit log."""
    with audit.audit_channel(via):
        audit.record(
            actor=actor,
            action=AuditEntry.Action.VIEW,
            obj=party,
            org_unit=party.org_unit,
            object_repr=auditing.label(party),
        )
