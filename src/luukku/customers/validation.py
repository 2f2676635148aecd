"""Turning what people and source systems send into clean values, or saying exactly why not."""

from __future__ import annotations

import datetime
import functools
import re
from collections.abc import Iterable
from typing import Any

import phonenumbers
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from email_validator import EmailNotValidError, validate_email

from luukku.core.models import Organization as Tenant
from luukku.customers.models import CustomField

NORDIC_REGIONS = ("NO", "FI", "SE", "DK", "IS")


def records_gender() -> bool:
    tenant = Tenant.objects.only("records_gender").first()
    return bool(tenant and tenant.records_gender)


def default_region() -> str:
    tenant = Tenant.objects.only("country").first()
    return tenant.country if tenant and tenant.country else "NO"


# A plain local part (RFC 5322 dot-atom, ASCII): email-validator leaves it as it is.
_DOT_ATOM = re.compile(r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*\Z")


@functools.lru_cache(maxsize=4096)
def _normalized_domain(domain: str) -> str:
    """A file of a million addresses has few domains: each is checked once."""
    return str(
        validate_email(
            f"postmaster@{domain}", check_deliverability=False, test_environment=True
        ).domain
    )


def normalize_email(raw: str) -> str:
    text = raw.strip()
    local, at, domain = text.rpartition("@")
    try:
        if at and len(local) <= 64 and len(text) <= 254 and _DOT_ATOM.match(local):
            return f"{local}@{_normalized_domain(domain)}"
        result = validate_email(text, check_deliverability=False, test_environment=True)
    except EmailNotValidError as exc:
        raise ValidationError(
            _("Not a valid email address: %(reason)s") % {"reason": exc}
        ) from None
    return str(result.normalized)


def normalize_phone(raw: str, *, region: str | None = None) -> str:
    """E.164 for a number in any common format; local numbers are read in `region`."""
    text = raw.strip()
    if text.startswith("00"):
        text = "+" + text[2:]
    try:
        number = phonenumbers.parse(text, region or default_region())
    except phonenumbers.NumberParseException:
        raise ValidationError(_("Not a phone number: %(raw)s") % {"raw": raw}) from None
    if not phonenumbers.is_valid_number(number):
        raise ValidationError(_("Not a valid phone number: %(raw)s") % {"raw": raw})
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def phone_search_forms(raw: str) -> list[str]:
    """E.164 forms a typed phone number may stand for (own region first, then Nordic ones)."""
    forms: list[str] = []
    for region in dict.fromkeys((default_region(), *NORDIC_REGIONS)):
        try:
            forms.append(normalize_phone(raw, region=region))
        except ValidationError:
            continue
    return list(dict.fromkeys(forms))


def _clean_one(field: CustomField, value: Any) -> Any:
    kind = field.kind
    if kind == CustomField.Kind.TEXT:
        text = str(value)
        if field.max_length and len(text) > field.max_length:
            raise ValidationError(_("At most %(n)s characters.") % {"n": field.max_length})
        if field.pattern and not re.fullmatch(field.pattern, text):
            raise ValidationError(_("Does not match the expected format."))
        return text
    if kind == CustomField.Kind.NUMBER:
        if isinstance(value, bool):
            raise ValidationError(_("Not a number."))
        try:
            number = float(value)
        except (TypeError, ValueError):
            raise ValidationError(_("Not a number.")) from None
        if field.min_value is not None and number < field.min_value:
            raise ValidationError(_("At least %(n)s.") % {"n": field.min_value})
        if field.max_value is not None and number > field.max_value:
            raise ValidationError(_("At most %(n)s.") % {"n": field.max_value})
        return int(number) if number.is_integer() else number
    if kind == CustomField.Kind.DATE:
        try:
            return datetime.date.fromisoformat(str(value)).isoformat()
        except ValueError:
            raise ValidationError(_("Not a date (YYYY-MM-DD).")) from None
    if kind == CustomField.Kind.BOOLEAN:
        if isinstance(value, bool):
            return value
        text = str(value).strip().lower()
        if text in {"1", "true", "yes", "ja", "kyllä", "y"}:
            return True
        if text in {"0", "false", "no", "nei", "nej", "ei", "n"}:
            return False
        raise ValidationError(_("Not yes or no."))
    if kind == CustomField.Kind.CHOICE:
        if value not in field.choices:
            raise ValidationError(_("Unknown choice: %(value)s") % {"value": value})
        return value
    if kind == CustomField.Kind.MULTI_CHOICE:
        values = value if isinstance(value, list) else [v.strip() for v in str(value).split(",")]
        unknown = [v for v in values if v not in field.choices]
        if unknown:
            raise ValidationError(
                _("Unknown choice: %(value)s") % {"value": ", ".join(map(str, unknown))}
            )
        return list(dict.fromkeys(values))
    raise ValidationError(_("Unsupported field kind."))


def clean_custom(
    entity: str,
    values: dict[str, Any],
    *,
    existing: dict[str, Any] | None = None,
    fields: Iterable[CustomField] | None = None,
    check_required: bool = True,
) -> dict[str, Any]:
    """Validate custom field values for `entity`; returns the merged, cleaned values.

    A value of None removes the field. Errors are keyed "custom.<key>".
    """
    definitions = {
        f.key: f
        for f in (fields if fields is not None else CustomField.objects.filter(entity=entity))
    }
    merged = dict(existing or {})
    errors: dict[str, list[str]] = {}
    for key, value in values.items():
        field = definitions.get(key)
        if field is None:
            errors[f"custom.{key}"] = [_("Unknown custom field.")]
            continue
        if value is None or value == "":
            merged.pop(key, None)
            continue
        try:
            merged[key] = _clean_one(field, value)
        except ValidationError as exc:
            errors[f"custom.{key}"] = exc.messages
    for key, field in definitions.items():
        if (
            check_required
            and field.required
            and key not in merged
            and f"custom.{key}" not in errors
        ):
            errors[f"custom.{key}"] = [_("This field is required.")]
    if errors:
        raise ValidationError(errors)
    return merged
