"""Forms for what administrators define: custom fields, relationship types, source systems."""

from __future__ import annotations

import re
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from luukku.customers.models import CustomField, RelationshipType, SourceSystem


class CommaListField(forms.CharField):
    """A list typed as comma-separated text."""

    def prepare_value(self, value: Any) -> Any:
        return ", ".join(value) if isinstance(value, list) else value

    def to_python(self, value: Any) -> list[str]:  # type: ignore[override]
        text = super().to_python(value) or ""
        return [part.strip() for part in text.split(",") if part.strip()]


class CustomFieldForm(forms.ModelForm):
    choices = CommaListField(
        label=_("Choices"), required=False, help_text=_("Comma-separated, for choice fields.")
    )

    class Meta:
        model = CustomField
        fields = [
            "entity",
            "key",
            "label",
            "kind",
            "choices",
            "required",
            "min_value",
            "max_value",
            "max_length",
            "pattern",
            "org_unit",
            "sensitivity",
            "position",
        ]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        kind = data.get("kind")
        if kind in (CustomField.Kind.CHOICE, CustomField.Kind.MULTI_CHOICE) and not data.get(
            "choices"
        ):
            self.add_error("choices", _("A choice field needs at least one choice."))
        pattern = data.get("pattern")
        if pattern:
            try:
                re.compile(pattern)
            except re.error as exc:
                self.add_error(
                    "pattern", _("Not a valid regular expression: %(reason)s") % {"reason": exc}
                )
        if data.get("sensitivity") == "restricted" and not data.get("org_unit"):
            self.add_error("org_unit", _("A restricted field belongs to an org unit."))
        return data


class RelationshipTypeForm(forms.ModelForm):
    class Meta:
        model = RelationshipType
        fields = ["code", "label", "reverse_label", "target"]


class SourceSystemForm(forms.ModelForm):
    allowed_fields = CommaListField(
        label=_("Fields it may set"),
        required=False,
        help_text=_(
            "Comma-separated field names, e.g. first_name, last_name, custom.student_status; "
            "empty means all."
        ),
    )

    class Meta:
        model = SourceSystem
        fields = ["code", "name", "priority", "allowed_fields", "deep_link"]

    def clean_deep_link(self) -> str:
        link: str = self.cleaned_data["deep_link"]
        if link and not link.startswith(("https://", "http://")):
            raise forms.ValidationError(_("A deep link starts with https://"))
        if link and "{external_id}" not in link:
            raise forms.ValidationError(_("Put {external_id} where the record's id goes."))
        return link
