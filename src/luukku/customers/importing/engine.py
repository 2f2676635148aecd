"""Checking a file (the dry run) and importing it all-or-nothing, in bulk batches."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from itertools import islice
from pathlib import Path
from typing import Any

from django.db import DEFAULT_DB_ALIAS, connection, connections, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from luukku.core import webhooks
from luukku.core.access import Perm, units_for_restricted
from luukku.core.bulk import copy_rows
from luukku.core.models import AuditEntry
from luukku.customers.actions import provenance
from luukku.customers.actions.timeline import NewEvent, append_events
from luukku.customers.identity_lookup import owners_by_external_id
from luukku.customers.importing import parallel
from luukku.customers.importing.files import read_table
from luukku.customers.importing.rows import MODELS, ParsedRow, RowParser, RowProblem
from luukku.customers.models import (
    EmailAddress,
    ExternalIdentity,
    ImportRun,
    Organization,
    Person,
    PhoneNumber,
    PostalAddress,
    Sensitivity,
    SourceSystem,
)
from luukku.customers.validation import default_region

BATCH = 2000
ERROR_CAP = 1000

Progress = Callable[[int, int], None]


class ImportRefused(ValueError):
    pass


def _no_progress(done: int, total: int) -> None:
    return None


def _parsed(run: ImportRun, problems: list[RowProblem]) -> Iterator[ParsedRow]:
    """Valid rows of the file; problems (including duplicate ids) are appended to `problems`."""
    path = Path(run.file.path)
    headers, rows = read_table(path, run.original_name)
    parser = RowParser(
        entity=run.entity, headers=headers, columns=run.columns, region=default_region()
    )
    for field in parser.missing_required():
        problems.append(RowProblem(0, field, _("Map a column to this required field.")))
    if problems:
        return
    first_row: dict[str, int] = {}
    numbered = enumerate(rows, start=2)
    workers = parallel.workers_for(path.stat().st_size)
    for parsed, row_problems in parallel.parse_rows(parser, numbered, workers=workers):
        problems += row_problems
        if parsed is None:
            continue
        seen = first_row.setdefault(parsed.external_id, parsed.row)
        if seen != parsed.row:
            problems.append(
                RowProblem(
                    parsed.row,
                    parser.column_of["external_id"],
                    _("Duplicate external id %(id)s (also on row %(row)s).")
                    % {"id": parsed.external_id, "row": seen},
                )
            )
            continue
        yield parsed


Batch = tuple[list[ParsedRow], dict[str, int]]


def _writable(
    run: ImportRun, rows: Iterator[ParsedRow], problems: list[RowProblem]
) -> Iterator[Batch]:
    """Batches of rows whose external id is new or belongs to a record the importer may
    change, each with the ids of the records the batch's known external ids belong to.

    An id that belongs to a restricted record of another unit, or to the other kind of
    record (a person's id in an organization file), is a problem of its row.
    """
    model = MODELS[run.entity]
    units = set(
        units_for_restricted(run.created_by, Perm.CUSTOMER_EDIT).values_list("pk", flat=True)
    )
    column = next((h for h, f in run.columns.items() if f == "external_id"), "external_id")
    for batch in _batches(rows):
        owners = owners_by_external_id(run.source_id, [r.external_id for r in batch])
        # The record of this file's kind; None when the id is the other kind's.
        existing = {
            external_id: person if model is Person else organization
            for external_id, (person, organization) in owners.items()
        }
        known = frozenset(pk for pk in existing.values() if pk)
        restricted_elsewhere = (
            set(
                model.objects.filter(pk__any=known, sensitivity=Sensitivity.RESTRICTED)
                .exclude(org_unit__in=units)
                .values_list("pk", flat=True)
            )
            if known
            else set()
        )
        blocked = {
            external_id
            for external_id, pk in existing.items()
            if pk is None or pk in restricted_elsewhere
        }
        writable = []
        for row in batch:
            if row.external_id in blocked:
                problems.append(
                    RowProblem(
                        row.row, column, _("This id belongs to a record you may not change.")
                    )
                )
            else:
                writable.append(row)
        yield writable, {k: pk for k, pk in existing.items() if pk is not None and k not in blocked}


def check(run: ImportRun, *, progress: Progress = _no_progress) -> ImportRun:
    """The dry run: read every row, report every problem, write nothing but the report."""
    problems: list[RowProblem] = []
    total = 0
    for batch, _existing in _writable(run, _parsed(run, problems), problems):
        total += len(batch)
        progress(total + len(problems), 0)
    run.total_rows = total + len({p.row for p in problems if p.row})
    run.processed_rows = run.total_rows
    run.error_count = len(problems)
    run.errors = [p.as_dict() for p in problems[:ERROR_CAP]]
    run.status = ImportRun.Status.CHECKED
    run.save()
    return run


def _batches(rows: Iterator[ParsedRow]) -> Iterator[list[ParsedRow]]:
    while batch := list(islice(rows, BATCH)):
        yield batch


def _report(run_id: int, processed: int) -> None:
    """Progress through a side connection, visible while the import's transaction is open."""
    if connection.vendor != "postgresql":
        return
    side = connections.create_connection(DEFAULT_DB_ALIAS)
    try:
        with side.cursor() as cursor:
            cursor.execute(
                "UPDATE customers_importrun SET processed_rows = %s WHERE id = %s",
                [processed, run_id],
            )
    finally:
        side.close()


def run_import(run: ImportRun, *, progress: Progress = _no_progress) -> ImportRun:
    """Import the checked file. All rows are written in one transaction or none are."""
    problems: list[RowProblem] = []
    batches = _writable(run, _parsed(run, problems), problems)
    counts = {"created": 0, "updated": 0, "unchanged": 0}
    done = 0
    with transaction.atomic():
        for batch, existing in batches:
            for key, value in _upsert(run, batch, existing).items():
                counts[key] += value
            done += len(batch)
            progress(done, run.total_rows)
        if problems and run.mode == ImportRun.Mode.ALL_OR_NOTHING:
            raise ImportRefused(
                _("%(n)s problems in the file; nothing was imported.") % {"n": len(problems)}
            )
    run.created, run.updated, run.unchanged = (
        counts["created"],
        counts["updated"],
        counts["unchanged"],
    )
    run.processed_rows = done + len({p.row for p in problems if p.row})
    run.error_count = len(problems)
    run.errors = [p.as_dict() for p in problems[:ERROR_CAP]]
    run.status = ImportRun.Status.DONE
    run.finished_at = timezone.now()
    run.save()
    webhooks.emit(
        "import.completed",
        {
            "import": run.pk,
            "entity": run.entity,
            "source": run.source.code,
            "created": run.created,
            "updated": run.updated,
            "unchanged": run.unchanged,
            "problems": run.error_count,
        },
        org_unit=run.org_unit,
    )
    return run


@dataclass
class Written:
    """A record the import created or changed, as the audit log and the timeline need it."""

    pk: int
    org_unit_id: int | None
    sensitivity: str
    name: str
    fields: list[str]
    created: bool


def _upsert(run: ImportRun, batch: list[ParsedRow], existing: dict[str, int]) -> dict[str, int]:
    model = MODELS[run.entity]
    owner = "person" if model is Person else "organization"
    source = run.source
    now = timezone.now()
    stamp = {"source": source.code, "at": now.isoformat()}
    fresh = [r for r in batch if r.external_id not in existing]
    created = _create(run, model, fresh, stamp)
    updated = _update(run, model, [r for r in batch if r.external_id in existing], existing, stamp)
    if existing:
        ExternalIdentity.objects.filter(
            source=source,
            external_id__any=[r.external_id for r in batch if r.external_id in existing],
        ).update(last_received_at=now)
    _add_contacts(owner, created, source, new=True)
    _add_contacts(owner, updated, source, new=False)
    _record(run, model, [w for _r, w in created] + [w for _r, w in updated])
    return {
        "created": len(created),
        "updated": len(updated),
        "unchanged": len(batch) - len(created) - len(updated),
    }


def _name(model: type[Person] | type[Organization], values: dict[str, Any]) -> str:
    if model is Person:
        return f"{values.get('first_name', '')} {values.get('last_name', '')}".strip()
    return str(values.get("name", ""))


def _create(
    run: ImportRun,
    model: type[Person] | type[Organization],
    rows: list[ParsedRow],
    stamp: dict[str, str],
) -> list[tuple[ParsedRow, Written]]:
    """New records, written as plain rows (no model instances: a file may hold a million)."""
    source = run.source
    records = []
    for row in rows:
        values = {k: v for k, v in row.values.items() if source.may_set(k)}
        custom = {k: v for k, v in row.custom.items() if source.may_set(f"custom.{k}")}
        record = {
            **values,
            "org_unit_id": run.org_unit_id,
            "sensitivity": run.sensitivity,
            "custom": custom,
            "field_sources": {
                **dict.fromkeys(values, stamp),
                **{f"custom.{k}": stamp for k in custom},
            },
        }
        if model is Person:
            record["full_name"] = _name(model, values)
        records.append(record)
    ids = copy_rows(model, records)
    owner = "person_id" if model is Person else "organization_id"
    copy_rows(
        ExternalIdentity,
        [
            {"source_id": source.pk, "external_id": row.external_id, "payload": row.raw, owner: pk}
            for row, pk in zip(rows, ids, strict=True)
        ],
    )
    return [
        (
            row,
            Written(
                pk,
                run.org_unit_id,
                run.sensitivity,
                _name(model, record),
                ["…"],
                created=True,
            ),
        )
        for row, record, pk in zip(rows, records, ids, strict=True)
    ]


def _update(
    run: ImportRun,
    model: type[Person] | type[Organization],
    rows: list[ParsedRow],
    existing: dict[str, int],
    stamp: dict[str, str],
) -> list[tuple[ParsedRow, Written]]:
    """Records the file already knows: change the fields this source may set."""
    parties = model.objects.in_bulk([pid for pid in existing.values() if pid])
    priorities = provenance.field_priorities()
    now = timezone.now()
    changed_rows: list[tuple[ParsedRow, Person | Organization, list[str]]] = []
    for row in rows:
        pid = existing.get(row.external_id)
        party = parties.get(pid) if pid else None
        if party is None:
            continue
        changed = _apply(party, row, run.source, priorities, stamp)
        if changed:
            party.updated_at = now
            changed_rows.append((row, party, changed))
    if changed_rows:
        fields = sorted(
            {f for _r, _p, changed in changed_rows for f in changed if not f.startswith("custom.")}
        )
        to_save: list[Any] = [p for _r, p, _c in changed_rows]
        model.objects.bulk_update(
            to_save,
            [
                *fields,
                *(["full_name"] if model is Person else []),
                "custom",
                "field_sources",
                "updated_at",
            ],
            batch_size=1000,
        )
    return [
        (row, Written(p.pk, p.org_unit_id, p.sensitivity, str(p), changed, created=False))
        for row, p, changed in changed_rows
    ]


def _apply(
    party: Person | Organization,
    row: ParsedRow,
    source: Any,
    priorities: dict[str, int],
    stamp: dict[str, str],
) -> list[str]:
    changed = []
    for name, value in row.values.items():
        if getattr(party, name) != value and provenance.may_overwrite(
            party, name, source, priorities
        ):
            setattr(party, name, value)
            party.field_sources[name] = stamp
            changed.append(name)
    for key, value in row.custom.items():
        name = f"custom.{key}"
        if party.custom.get(key) != value and provenance.may_overwrite(
            party, name, source, priorities
        ):
            party.custom[key] = value
            party.field_sources[name] = stamp
            changed.append(name)
    if isinstance(party, Person) and ({"first_name", "last_name"} & set(changed)):
        party.full_name = f"{party.first_name} {party.last_name}".strip()
    return changed


def _contacts_of(owner: str, ids: list[int]) -> dict[str, set[tuple[int, str]]]:
    """The contact points records already have: (record id, value) per kind."""
    key = f"{owner}_id"
    return {
        "email": set(
            EmailAddress.objects.filter(**{f"{key}__in": ids}).values_list(key, "address_lower")
        ),
        "phone": set(PhoneNumber.objects.filter(**{f"{key}__in": ids}).values_list(key, "number")),
        "address": set(
            PostalAddress.objects.filter(**{f"{key}__in": ids}).values_list(key, "street")
        ),
    }


def _add_contacts(
    owner: str, rows: list[tuple[ParsedRow, Written]], source: SourceSystem, *, new: bool
) -> None:
    """Add contact points a row brings that the record does not have yet, of the kinds the
    source may set; a new point is primary only when the record has none. New records
    have none, so they are not looked up."""
    if not rows:
        return
    have = (
        {"email": set(), "phone": set(), "address": set()}
        if new
        else _contacts_of(owner, [w.pk for _r, w in rows])
    )
    owners_with = {kind: {pid for pid, _ in values} for kind, values in have.items()}
    key = f"{owner}_id"
    common = {"source": source.code}
    emails, phones, addresses = [], [], []
    for row, written in rows:
        pk = written.pk
        if row.email and source.may_set("emails") and (pk, row.email.lower()) not in have["email"]:
            emails.append(
                {
                    **common,
                    key: pk,
                    "address": row.email,
                    "address_lower": row.email.lower(),
                    "is_primary": pk not in owners_with["email"],
                }
            )
        if row.phone and source.may_set("phones") and (pk, row.phone) not in have["phone"]:
            phones.append(
                {
                    **common,
                    key: pk,
                    "number": row.phone,
                    "kind": "mobile",
                    "is_primary": pk not in owners_with["phone"],
                }
            )
        if (
            row.address
            and source.may_set("addresses")
            and (pk, row.address["street"]) not in have["address"]
        ):
            addresses.append(
                {
                    **common,
                    **row.address,
                    key: pk,
                    "kind": "home",
                    "is_primary": pk not in owners_with["address"],
                }
            )
    copy_rows(EmailAddress, emails)
    copy_rows(PhoneNumber, phones)
    copy_rows(PostalAddress, addresses)


def _record(
    run: ImportRun, model: type[Person] | type[Organization], written: list[Written]
) -> None:
    """One audit entry per created or changed record, and a timeline event for persons.

    Entries about restricted records name them by type and id only and are themselves
    restricted (ADR 0006)."""
    if not written:
        return
    actor = run.created_by
    object_type = model._meta.label_lower
    kind = str(model._meta.verbose_name)
    copy_rows(
        AuditEntry,
        [
            {
                "actor_id": actor.pk,
                "actor_name": actor.get_username(),
                "action": AuditEntry.Action.CREATE if w.created else AuditEntry.Action.UPDATE,
                "object_type": object_type,
                "object_id": str(w.pk),
                "object_repr": (
                    f"{kind} #{w.pk}"
                    if w.sensitivity == Sensitivity.RESTRICTED
                    else w.name or f"#{w.pk}"
                )[:200],
                "org_unit_id": w.org_unit_id,
                "changes": {"import": [None, run.pk], "fields": [None, sorted(w.fields)]},
                "via": "import",
                "sensitivity": w.sensitivity,
            }
            for w in written
        ],
    )
    if model is not Person:
        return
    now = timezone.now()
    append_events(
        [
            NewEvent(
                person_id=w.pk,
                type="luukku.person_imported",
                occurred_at=now,
                org_unit_id=w.org_unit_id,
                sensitivity=w.sensitivity,
                payload={
                    "import": run.pk,
                    "source": run.source.code,
                    "created": w.created,
                    "fields": sorted(w.fields),
                    "by": actor.get_username(),
                },
            )
            for w in written
        ]
    )
