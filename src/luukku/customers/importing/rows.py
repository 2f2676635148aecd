"""One row of a file → clean values for a person or organization, or exact errors."""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from luukku.customers.models import CustomField, Organization, Person
from luukku.customers.models.parties import Channel
from luukku.customers.validation import (
    clean_custom,
    normalize_email,
    normalize_phone,
    records_gender,
)

DATE_FORMATS = ("%Y-%m-%d", "%d.%m.%Y", "%d.%m.%y", "%d/%m/%Y")
GENDERS = {
    "f": "female",
    "female": "female",
    "k": "female",
    "kvinne": "female",
    "nainen": "female",
    "kvinna": "female",
    "m": "male",
    "male": "male",
    "mann": "male",
    "mies": "male",
    "man": "male",
    "other": "other",
    "annet": "other",
    "muu": "other",
    "annat": "other",
}


@dataclass
class RowProblem:
    row: int
    column: str
    message: str

    def as_dict(self) -> dict[str, Any]:
        return {"row": self.row, "column": self.column, "message": self.message}


@dataclass
class ParsedRow:
    row: int
    external_id: str
    values: dict[str, Any] = field(default_factory=dict)
    custom: dict[str, Any] = field(default_factory=dict)
    email: str | None = None
    phone: str | None = None
    address: dict[str, str] | None = None
    raw: dict[str, str] = field(default_factory=dict)


def parse_date(text: str) -> datetime.date:
    for fmt in DATE_FORMATS:
        try:
            return datetime.datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    raise ValidationError(
        _("Not a date: %(value)s (use 2001-03-31 or 31.03.2001).") % {"value": text}
    )


class RowParser:
    """Parses rows for one import: `columns` maps header → field."""

    def __init__(
        self, *, entity: str, headers: list[str], columns: dict[str, str], region: str
    ) -> None:
        self.entity = entity
        self.region = region
        self.positions = [(i, h, columns[h]) for i, h in enumerate(headers) if columns.get(h)]
        self.column_of = {target: header for _i, header, target in self.positions}
        self.custom_fields = list(CustomField.objects.filter(entity=entity))
        self.records_gender = records_gender()

    def missing_required(self) -> list[str]:
        missing = []
        if "external_id" not in self.column_of:
            missing.append("external_id")
        if self.entity == "person" and not (
            {"first_name", "last_name", "full_name"} & set(self.column_of)
        ):
            missing.append("last_name")
        if self.entity == "organization" and "name" not in self.column_of:
            missing.append("name")
        return missing

    def parse(self, number: int, cells: list[str]) -> tuple[ParsedRow | None, list[RowProblem]]:
        data = {
            target: (cells[i].strip() if i < len(cells) else "") for i, _h, target in self.positions
        }
        problems: list[RowProblem] = []

        def problem(target: str, message: str) -> None:
            problems.append(RowProblem(number, self.column_of.get(target, target), message))

        external_id = data.get("external_id", "")
        if not external_id:
            problem("external_id", _("The external id is empty."))
        parsed = ParsedRow(
            row=number,
            external_id=external_id,
            raw={header: (cells[i] if i < len(cells) else "") for i, header, _t in self.positions},
        )
        values = parsed.values
        if self.entity == "person":
            if data.get("full_name") and not (data.get("first_name") or data.get("last_name")):
                first, _space, last = data["full_name"].rpartition(" ")
                values["first_name"], values["last_name"] = (first, last) if first else ("", last)
            for name in ("first_name", "last_name"):
                if name in data:
                    values[name] = data[name][:150]
            if not (values.get("first_name") or values.get("last_name")):
                problem(
                    "last_name" if "last_name" in self.column_of else "full_name",
                    _("The name is empty."),
                )
            if data.get("date_of_birth"):
                try:
                    born = parse_date(data["date_of_birth"])
                    if born > datetime.date.today() or born.year < 1880:
                        raise ValidationError(_("The date of birth is not believable."))
                    values["date_of_birth"] = born
                except ValidationError as exc:
                    problem("date_of_birth", " ".join(exc.messages))
            if data.get("gender") and not self.records_gender:
                problem("gender", _("This organization does not record gender."))
            elif data.get("gender"):
                gender = GENDERS.get(data["gender"].lower())
                if gender is None:
                    problem("gender", _("Unknown choice: %(value)s") % {"value": data["gender"]})
                values["gender"] = gender or ""
            if data.get("preferred_channel"):
                channel = data["preferred_channel"].lower()
                if channel not in Channel.values:
                    problem(
                        "preferred_channel", _("Unknown choice: %(value)s") % {"value": channel}
                    )
                values["preferred_channel"] = channel
        else:
            if "name" in data:
                values["name"] = data["name"][:300]
                if not data["name"]:
                    problem("name", _("The name is empty."))
            if data.get("kind"):
                if data["kind"].lower() not in Organization.Kind.values:
                    problem("kind", _("Unknown choice: %(value)s") % {"value": data["kind"]})
                values["kind"] = data["kind"].lower()
            if "registration_number" in data:
                values["registration_number"] = re.sub(r"\s", "", data["registration_number"])[:32]
        if data.get("preferred_language"):
            values["preferred_language"] = data["preferred_language"].lower()[:8]
        if data.get("email"):
            try:
                parsed.email = normalize_email(data["email"])
            except ValidationError as exc:
                problem("email", " ".join(exc.messages))
        if data.get("phone"):
            try:
                parsed.phone = normalize_phone(data["phone"], region=self.region)
            except ValidationError as exc:
                problem("phone", " ".join(exc.messages))
        if data.get("street") or data.get("postal_code") or data.get("city"):
            parsed.address = {
                "street": data.get("street", "")[:300],
                "postal_code": data.get("postal_code", "")[:16],
                "city": data.get("city", "")[:100],
                "country": (data.get("country") or self.region)[:2].upper(),
            }
        custom = {t[7:]: v for t, v in data.items() if t.startswith("custom.") and v != ""}
        if custom:
            try:
                parsed.custom = clean_custom(
                    self.entity,
                    custom,
                    existing={},
                    fields=self.custom_fields,
                    check_required=False,
                )
            except ValidationError as exc:
                for key, messages in exc.message_dict.items():
                    problem(key, " ".join(messages))
        return (None if problems else parsed), problems


MODELS: dict[str, type[Person] | type[Organization]] = {
    "person": Person,
    "organization": Organization,
}
