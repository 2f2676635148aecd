from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError

from luukku.customers.models import (
    EmailAddress,
    Organization,
    Person,
    PhoneNumber,
    PostalAddress,
    SourceSystem,
)
from luukku.customers.validation import normalize_email, normalize_phone


@dataclass(frozen=True)
class ContactChanges:
    emails: list[dict[str, Any]] | None = None
    phones: list[dict[str, Any]] | None = None
    addresses: list[dict[str, Any]] | None = None


def clean_contacts(changes: ContactChanges) -> ContactChanges:
    """Normalize every email and phone; errors are keyed like "emails.1.address"."""
    errors: dict[str, list[str]] = {}

    def clean_list(name: str, rows: list[dict[str, Any]] | None, key: str, fn: Any) -> Any:
        if rows is None:
            return None
        cleaned = []
        for index, row in enumerate(rows):
            try:
                cleaned.append({**row, key: fn(str(row.get(key, "")))})
            except ValidationError as exc:
                errors[f"{name}.{index}.{key}"] = exc.messages
        return cleaned

    result = ContactChanges(
        emails=clean_list("emails", changes.emails, "address", normalize_email),
        phones=clean_list("phones", changes.phones, "number", normalize_phone),
        addresses=changes.addresses,
    )
    if errors:
        raise ValidationError(errors)
    return result


def _owner(party: Person | Organization) -> dict[str, Any]:
    return {"person": party} if isinstance(party, Person) else {"organization": party}


def apply_contacts(
    party: Person | Organization,
    changes: ContactChanges,
    *,
    source: str,
    replace: bool,
    source_system: SourceSystem | None = None,
    created: bool = False,
) -> list[str]:
    """Write cleaned contact points. `replace` makes each given list the whole set;
    otherwise new points are added and existing ones kept. Returns what changed. A party
    `created` just now has no points yet, so none are looked up.

    A source system writes only the kinds it may set ("emails", "phones", "addresses"),
    never moves the primary mark of existing points, and makes a new point primary only
    when there is none. Staff edits (no source system) decide freely.
    """
    owner = _owner(party)
    changed: list[str] = []
    specs: list[tuple[str, type[Any], list[dict[str, Any]] | None, str]] = [
        ("emails", EmailAddress, changes.emails, "address"),
        ("phones", PhoneNumber, changes.phones, "number"),
        ("addresses", PostalAddress, changes.addresses, "street"),
    ]
    for name, model, rows, key in specs:
        if rows is None:
            continue
        if source_system is not None:
            if not source_system.may_set(name):
                continue
            has_primary = not created and model.objects.filter(**owner, is_primary=True).exists()
            rows = [
                {**row, "is_primary": bool(row.get("is_primary")) and not has_primary}
                for row in rows
            ]
        elif not created and any(row.get("is_primary") for row in rows):
            model.objects.filter(**owner).update(is_primary=False)
        existing = (
            {} if created else {getattr(c, key).lower(): c for c in model.objects.filter(**owner)}
        )
        wanted = {str(row[key]).lower(): row for row in rows}
        if replace:
            stale = [c.pk for k, c in existing.items() if k not in wanted]
            if stale:
                model.objects.filter(pk__in=stale).delete()
                changed.append(name)
        for value, row in wanted.items():
            fields = {k: v for k, v in row.items() if k != key}
            if model is EmailAddress:
                fields["address_lower"] = value
            current = existing.get(value)
            if current is None:
                model.objects.create(**owner, **{key: row[key]}, source=source, **fields)
                changed.append(name)
            elif source_system is None and any(getattr(current, k) != v for k, v in fields.items()):
                for k, v in fields.items():
                    setattr(current, k, v)
                current.save()
                changed.append(name)
    return sorted(set(changed))
