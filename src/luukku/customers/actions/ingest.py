"""Timeline events from source systems: validate each line, find its person, store once."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any, Literal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator
from pydantic import ValidationError as SchemaError

from luukku.core.access import Perm, can, units_where
from luukku.core.models import OrgUnit, User
from luukku.customers.access import hidden_persons, persons_visible_to
from luukku.customers.actions.contacts import ContactChanges
from luukku.customers.actions.parties import create_party
from luukku.customers.actions.timeline import NewEvent, append_events
from luukku.customers.identity_lookup import owners_by_external_id
from luukku.customers.models import (
    EmailAddress,
    Person,
    Sensitivity,
    SourceSystem,
)
from luukku.customers.models.timeline import hold_timeline

MAX_BATCH_LINES = 10_000
EVENT_TYPE = r"^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+$"


class PersonRef(BaseModel):
    """Who the event is about: a Luukku id, an external identity, or an email address."""

    model_config = ConfigDict(extra="forbid")

    id: int | None = None
    source: str | None = None
    external_id: str | None = None
    email: str | None = None
    first_name: str | None = Field(None, description="Used when an unknown person is created.")
    last_name: str | None = None

    @model_validator(mode="after")
    def one_way_to_find(self) -> PersonRef:
        ways = [self.id is not None, bool(self.source and self.external_id), bool(self.email)]
        if sum(ways) != 1:
            raise ValueError("give exactly one of: id, source + external_id, email")
        return self


class EventIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    person: PersonRef
    type: str = Field(
        pattern=EVENT_TYPE, max_length=100, description="Namespaced, e.g. housing.contract_signed"
    )
    occurred_at: datetime.datetime
    source: str = Field("api", max_length=64)
    org_unit: str | None = Field(None, description="Short name of the org unit it belongs to.")
    sensitivity: Sensitivity = Sensitivity.NORMAL
    payload: dict[str, Any] = Field(default_factory=dict)
    idempotency_key: str | None = Field(None, max_length=200)

    @field_validator("occurred_at")
    @classmethod
    def aware_time(cls, value: datetime.datetime) -> datetime.datetime:
        if value.tzinfo is None:
            raise ValueError("needs a time zone, e.g. 2026-11-27T10:00:00+01:00")
        return value


UnknownPerson = Literal["reject", "create"]


@dataclass(slots=True)
class LineResult:
    line: int
    status: Literal["created", "duplicate", "error"]
    field: str = ""
    message: str = ""

    def as_dict(self) -> dict[str, Any]:
        result: dict[str, Any] = {"line": self.line, "status": self.status}
        if self.status == "error":
            result["error"] = {"field": self.field, "message": self.message}
        return result


class BatchTooLarge(ValueError):
    pass


def parse_ndjson(body: bytes) -> list[tuple[int, Any]]:
    """(line number, raw line bytes) for each non-blank line; parsed later, in Rust, by pydantic."""
    lines: list[tuple[int, Any]] = []
    for number, raw in enumerate(body.splitlines(), start=1):
        if not raw.strip():
            continue
        if len(lines) >= MAX_BATCH_LINES:
            raise BatchTooLarge(
                _("A batch holds at most %(n)s lines; split the file.") % {"n": MAX_BATCH_LINES}
            )
        lines.append((number, raw))
    return lines


def _schema_error(exc: SchemaError) -> tuple[str, str]:
    first = exc.errors()[0]
    location = ".".join(str(p) for p in first.get("loc", ()))
    if first.get("type") == "extra_forbidden":
        return location, _("Unknown field.")
    if first.get("type") == "json_invalid":
        return "", _("Not JSON: %(reason)s") % {"reason": first.get("ctx", {}).get("error", "")}
    return location, str(first.get("msg", ""))


def _persons_by_identity(source: str, external_ids: list[str]) -> dict[str, int]:
    source_id = SourceSystem.objects.filter(code=source).values_list("pk", flat=True).first()
    if source_id is None:
        return {}
    owners = owners_by_external_id(source_id, external_ids)
    return {external_id: person for external_id, (person, _org) in owners.items() if person}


class _Resolver:
    """Finds persons for many references with a few queries."""

    def __init__(self, refs: list[PersonRef], actor: User) -> None:
        """Only persons `actor` may see are found: an integration cannot use the batch to
        learn whether someone is, say, a client of the health service."""
        ids = list({r.id for r in refs if r.id is not None})
        self.by_id = set(persons_visible_to(actor).filter(pk__any=ids).values_list("pk", flat=True))
        self.by_identity: dict[tuple[str, str], int] = {}
        by_source: dict[str, set[str]] = {}
        for r in refs:
            if r.source and r.external_id:
                by_source.setdefault(r.source, set()).add(r.external_id)
        for source, external_ids in by_source.items():
            found = _persons_by_identity(source, list(external_ids))
            self.by_identity.update({(source, ext): pid for ext, pid in found.items()})
        emails = list({r.email.strip().lower() for r in refs if r.email})
        self.by_email: dict[str, set[int]] = {}
        for address, pid in EmailAddress.objects.filter(
            address_lower__any=emails, person__isnull=False
        ).values_list("address_lower", "person_id"):
            self.by_email.setdefault(address, set()).add(pid or 0)
        hidden = hidden_persons(
            actor,
            [*self.by_identity.values(), *(p for ps in self.by_email.values() for p in ps)],
        )
        if hidden:
            self.by_identity = {k: p for k, p in self.by_identity.items() if p not in hidden}
            self.by_email = {
                a: {p for p in ps if p not in hidden} for a, ps in self.by_email.items()
            }

    def remember(self, ref: PersonRef, person_id: int) -> None:
        """A person created during this batch is found by the later lines about them."""
        if ref.source and ref.external_id:
            self.by_identity[(ref.source, ref.external_id)] = person_id
        if ref.email:
            self.by_email[ref.email.strip().lower()] = {person_id}

    def find(self, ref: PersonRef) -> int | None:
        if ref.id is not None:
            return ref.id if ref.id in self.by_id else None
        if ref.source and ref.external_id:
            return self.by_identity.get((ref.source, ref.external_id))
        matches = self.by_email.get((ref.email or "").strip().lower(), set())
        if len(matches) > 1:
            raise ValidationError(_("Several persons have this email address; use an id."))
        return next(iter(matches), None)


def _create_person(ref: PersonRef, unit: OrgUnit | None, sensitivity: str, by: User) -> int:
    if not (ref.first_name or ref.last_name):
        raise ValidationError(_("Unknown person; give first_name or last_name to create them."))
    identity: tuple[SourceSystem, str, dict[str, Any]] | None = None
    if ref.source and ref.external_id:
        source = SourceSystem.objects.filter(code=ref.source).first()
        if source is None:
            raise ValidationError(_("Unknown source system: %(code)s") % {"code": ref.source})
        identity = (source, ref.external_id, {})
    outcome = create_party(
        Person,
        values={"first_name": ref.first_name or "", "last_name": ref.last_name or ""},
        contacts=ContactChanges(emails=[{"address": ref.email, "is_primary": True}])
        if ref.email
        else None,
        org_unit=unit,
        sensitivity=sensitivity,
        identity=identity,
        by=by,
    )
    return outcome.party.pk


@transaction.atomic
def ingest_events(
    lines: list[tuple[int, Any]], *, by: User, unknown_person: UnknownPerson = "reject"
) -> list[LineResult]:
    """Validate every line, resolve persons, and store the valid events once each."""
    results: dict[int, LineResult] = {}
    valid: list[tuple[int, EventIn]] = []
    for number, data in lines:
        try:
            if isinstance(data, EventIn):
                valid.append((number, data))
            else:
                valid.append((number, EventIn.model_validate_json(data)))
        except SchemaError as exc:
            field, message = _schema_error(exc)
            results[number] = LineResult(number, "error", field, message)
    units = {
        u.slug: u
        for u in OrgUnit.objects.filter(slug__in={e.org_unit for _, e in valid if e.org_unit})
    }
    allowed_units = set(
        units_where(by, Perm.EVENT_INGEST)
        .filter(pk__in=[u.pk for u in units.values()])
        .values_list("pk", flat=True)
    )
    may_ingest = can(by, Perm.EVENT_INGEST)
    hold_timeline()  # persons found now are not deleted before the events are written
    resolver = _Resolver([e.person for _, e in valid], by)
    pending: list[tuple[int, NewEvent]] = []
    for number, event in valid:
        unit = units.get(event.org_unit) if event.org_unit else None
        if event.org_unit and unit is None:
            results[number] = LineResult(number, "error", "org_unit", _("Unknown org unit."))
            continue
        allowed = unit.pk in allowed_units if unit else may_ingest
        if not allowed or (unit is None and event.sensitivity == Sensitivity.RESTRICTED):
            results[number] = LineResult(
                number, "error", "org_unit", _("You may not send events for this org unit.")
            )
            continue
        try:
            person_id = resolver.find(event.person)
            if person_id is None and unknown_person == "create":
                person_id = _create_person(event.person, unit, event.sensitivity, by)
                resolver.remember(event.person, person_id)
        except ValidationError as exc:
            results[number] = LineResult(number, "error", "person", " ".join(exc.messages))
            continue
        if person_id is None:
            results[number] = LineResult(number, "error", "person", _("No such person."))
            continue
        pending.append(
            (
                number,
                NewEvent(
                    person_id=person_id,
                    type=event.type,
                    occurred_at=event.occurred_at,
                    source=event.source,
                    org_unit_id=unit.pk if unit else None,
                    sensitivity=event.sensitivity,
                    payload=event.payload,
                    idempotency_key=event.idempotency_key,
                ),
            )
        )
    stored = append_events([e for _, e in pending])
    for (number, _event), was_stored in zip(pending, stored, strict=True):
        results[number] = LineResult(number, "created" if was_stored else "duplicate")
    return [results[n] for n, _ in lines]
