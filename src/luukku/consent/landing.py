"""Landing pages from blocks: what blocks there are, checking a page before it is saved,
and the form a page shows (built from its blocks, with a honeypot for bots).

Blocks, top to bottom, each a dict:
- {"type": "heading", "text": ...} and {"type": "text", "text": ...}
- {"type": "field", "field": "email" | "first_name" | "last_name" | "phone" |
  "date_of_birth" | "custom:<key>", "label": ..., "required": bool}
- {"type": "consent", "purpose": <slug>, "channels": [...], "required": bool}
- {"type": "choice", "name": <slug>, "label": ..., "options": [...], "multiple": bool,
  "required": bool}: an answer kept with the submission and on the timeline.
"""

from __future__ import annotations

import re
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from luukku.consent.models import Purpose, PurposeText
from luukku.consent.services import current_text
from luukku.customers.models import CustomField
from luukku.customers.models.parties import Sensitivity
from luukku.customers.validation import normalize_email, normalize_phone

PROFILE_FIELDS: dict[str, Any] = {
    "email": gettext_lazy("Email"),
    "first_name": gettext_lazy("First name"),
    "last_name": gettext_lazy("Last name"),
    "phone": gettext_lazy("Mobile number"),
    "date_of_birth": gettext_lazy("Date of birth"),
}
BLOCK_TYPES = ("heading", "text", "field", "consent", "choice")
CUSTOM_KINDS = (
    CustomField.Kind.TEXT,
    CustomField.Kind.CHOICE,
    CustomField.Kind.MULTI_CHOICE,
    CustomField.Kind.BOOLEAN,
)
HONEYPOT = "website"  # hidden from people; a bot fills it in
_NAME = re.compile(r"^[a-z0-9_-]{1,40}$")


def custom_field(key: str) -> CustomField | None:
    """A person's custom field a public page may ask for: not restricted, of a simple kind."""
    return CustomField.objects.filter(
        entity=CustomField.Entity.PERSON,
        key=key,
        kind__in=CUSTOM_KINDS,
        sensitivity=Sensitivity.NORMAL,
    ).first()


def check_blocks(blocks: list[dict[str, Any]]) -> None:
    """Refuse a page that cannot work, with the block number and the reason."""
    problems: list[str] = []
    fields: set[str] = set()
    for number, block in enumerate(blocks, start=1):
        for problem in _block_problems(block, fields):
            problems.append(
                _("Block %(number)s: %(problem)s") % {"number": number, "problem": problem}
            )
    if "email" not in fields:
        problems.append(_("The page needs an email field: confirmations go there."))
    if not fields & {"first_name", "last_name"}:
        problems.append(_("The page needs a first or last name field for new persons."))
    if problems:
        raise ValidationError(problems)


def _block_problems(block: dict[str, Any], fields: set[str]) -> list[str]:
    kind = block.get("type")
    if kind not in BLOCK_TYPES:
        return [_("unknown kind of block: %(kind)s") % {"kind": kind}]
    if kind in ("heading", "text"):
        return [] if str(block.get("text", "")).strip() else [_("it has no text.")]
    if kind == "field":
        name = str(block.get("field", ""))
        if name in fields:
            return [_("the field %(name)s is asked twice.") % {"name": name}]
        fields.add(name)
        if name.startswith("custom:"):
            if custom_field(name.removeprefix("custom:")) is None:
                return [_("no custom field %(name)s a public page may ask for.") % {"name": name}]
            return []
        return [] if name in PROFILE_FIELDS else [_("unknown field: %(name)s") % {"name": name}]
    if kind == "consent":
        purpose = Purpose.objects.filter(slug=block.get("purpose", ""), is_active=True).first()
        if purpose is None:
            return [_("no purpose in use called %(slug)s.") % {"slug": block.get("purpose")}]
        channels = block.get("channels") or purpose.channels
        missing = [c for c in channels if c not in purpose.channels]
        if missing:
            return [_("the purpose does not cover: %(names)s") % {"names": ", ".join(missing)}]
        return []
    name = str(block.get("name", ""))
    options = [str(o).strip() for o in block.get("options") or [] if str(o).strip()]
    if not _NAME.match(name):
        return [_("a choice needs a short name of letters, digits, - and _.")]
    if len(options) < 2:
        return [_("a choice needs at least two options.")]
    return []


def _consent_label(purpose: Purpose, language: str) -> tuple[str, PurposeText | None]:
    text = current_text(purpose, language)
    return (text.title if text else purpose.name), text


class LandingForm(forms.Form):
    """The page's form: one field per field, consent and choice block, and the honeypot."""

    def __init__(self, *args: Any, page_blocks: list[dict[str, Any]], language: str, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.blocks = page_blocks
        self.texts: dict[str, PurposeText | None] = {}
        self.shown: list[tuple[dict[str, Any], str | None]] = []  # (block, its field's name)
        for index, block in enumerate(page_blocks):
            self.shown.append((block, self._add(index, block, language)))
        self.fields[HONEYPOT] = forms.CharField(required=False, label="Website")

    def _add(self, index: int, block: dict[str, Any], language: str) -> str | None:
        kind = block.get("type")
        required = bool(block.get("required"))
        if kind == "field":
            name = str(block["field"])
            self.fields[name] = _profile_field(name, block.get("label") or "", required)
            return name
        if kind == "consent":
            purpose = Purpose.objects.get(slug=block["purpose"])
            label, text = _consent_label(purpose, language)
            name = f"consent_{index}"
            self.texts[name] = text
            self.fields[name] = forms.BooleanField(
                label=label, required=required, help_text=text.body if text else ""
            )
            return name
        if kind == "choice":
            name = f"choice_{block['name']}"
            options = [(o, o) for o in block.get("options") or []]
            field_class = forms.MultipleChoiceField if block.get("multiple") else forms.ChoiceField
            widget = forms.CheckboxSelectMultiple if block.get("multiple") else forms.RadioSelect
            self.fields[name] = field_class(
                label=block.get("label") or block["name"],
                choices=options,
                required=required,
                widget=widget,
            )
            return name
        return None

    def clean_email(self) -> str:
        try:
            return normalize_email(self.cleaned_data.get("email") or "")
        except ValidationError as error:
            raise ValidationError(_("Enter a valid email address.")) from error

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        phone = data.get("phone")
        if phone:
            try:
                data["phone"] = normalize_phone(str(phone))
            except ValidationError:
                self.add_error("phone", _("Enter a valid phone number."))
        return data


def _profile_field(name: str, label: str, required: bool) -> forms.Field:
    if name == "email":
        return forms.CharField(
            label=label or PROFILE_FIELDS["email"], required=True, max_length=254
        )
    if name == "date_of_birth":
        return forms.DateField(
            label=label or PROFILE_FIELDS[name],
            required=required,
            widget=forms.DateInput(attrs={"type": "date"}),
        )
    if name.startswith("custom:"):
        field = custom_field(name.removeprefix("custom:"))
        assert field is not None  # checked when the page was saved
        choices = [(c, c) for c in field.choices]
        if field.kind == CustomField.Kind.CHOICE:
            return forms.ChoiceField(
                label=label or field.label, choices=[("", "—"), *choices], required=required
            )
        if field.kind == CustomField.Kind.MULTI_CHOICE:
            return forms.MultipleChoiceField(
                label=label or field.label,
                choices=choices,
                required=required,
                widget=forms.CheckboxSelectMultiple,
            )
        if field.kind == CustomField.Kind.BOOLEAN:
            return forms.BooleanField(label=label or field.label, required=required)
        return forms.CharField(label=label or field.label, required=required, max_length=500)
    return forms.CharField(label=label or PROFILE_FIELDS[name], required=required, max_length=150)
