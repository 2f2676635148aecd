"""Exporting a filtered person list as CSV or XLSX."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator

from django.db.models import QuerySet

from luukku.core.models import User
from luukku.customers.access import custom_fields_visible_to
from luukku.customers.models import CustomField, Person

BASE_COLUMNS = [
    "id",
    "first_name",
    "last_name",
    "email",
    "phone",
    "date_of_birth",
    "gender",
    "preferred_language",
    "preferred_channel",
    "street",
    "postal_code",
    "city",
    "identities",
]


def columns_for(actor: User) -> tuple[list[str], list[CustomField]]:
    fields = custom_fields_visible_to(actor, CustomField.Entity.PERSON)
    return BASE_COLUMNS + [f"custom.{f.key}" for f in fields], fields


def person_rows(actor: User, persons: QuerySet[Person]) -> Iterator[list[str]]:
    """The header, then one row per person, fetched in chunks."""
    header, fields = columns_for(actor)
    yield header
    persons = persons.order_by("pk").prefetch_related(
        "emailaddresss", "phonenumbers", "postaladdresss", "identities__source"
    )
    for person in persons.iterator(chunk_size=2000):
        email = next(iter(person.emailaddresss.all()), None)
        phone = next(iter(person.phonenumbers.all()), None)
        address = next(iter(person.postaladdresss.all()), None)
        custom = []
        for field in fields:
            value = person.custom.get(field.key, "")
            custom.append(", ".join(map(str, value)) if isinstance(value, list) else str(value))
        yield [
            str(person.pk),
            person.first_name,
            person.last_name,
            email.address if email else "",
            phone.number if phone else "",
            person.date_of_birth.isoformat() if person.date_of_birth else "",
            person.gender,
            person.preferred_language,
            person.preferred_channel,
            address.street if address else "",
            address.postal_code if address else "",
            address.city if address else "",
            " ".join(f"{i.source.code}:{i.external_id}" for i in person.identities.all()),
            *custom,
        ]


class _Echo:
    def write(self, value: str) -> str:
        return value


def safe_cell(cell: str) -> str:
    """A leading =, +, - or @ would make a spreadsheet run the cell as a formula."""
    if cell[:1] in ("=", "+", "-", "@") and not (cell.startswith("+") and cell[1:].isdigit()):
        return "'" + cell
    return cell


def csv_lines(rows: Iterator[list[str]]) -> Iterator[str]:
    writer = csv.writer(_Echo())
    yield "\ufeff"  # so spreadsheet programs read UTF-8
    for row in rows:
        yield writer.writerow([safe_cell(c) for c in row])


def xlsx_bytes(rows: Iterator[list[str]]) -> bytes:
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("Customers")
    for row in rows:
        sheet.append([safe_cell(c) for c in row])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
