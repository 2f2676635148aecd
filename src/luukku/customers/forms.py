from __future__ import annotations

import datetime
from typing import Any

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from luukku.core.models import OrgUnit
from luukku.customers.models import CustomField, Person, Sensitivity
from luukku.customers.models.parties import Channel
from luukku.customers.validation import records_gender


def custom_form_field(field: CustomField) -> forms.Field:
    common: dict[str, Any] = {"label": field.label, "required": field.required}
    kind = field.kind
    if kind == CustomField.Kind.NUMBER:
        return forms.FloatField(min_value=field.min_value, max_value=field.max_value, **common)
    if kind == CustomField.Kind.DATE:
        return forms.DateField(widget=forms.DateInput(attrs={"type": "date"}), **common)
    if kind == CustomField.Kind.BOOLEAN:
        return forms.NullBooleanField(**{**common, "required": False})
    if kind == CustomField.Kind.CHOICE:
        return forms.ChoiceField(choices=[("", "—"), *[(c, c) for c in field.choices]], **common)
    if kind == CustomField.Kind.MULTI_CHOICE:
        return forms.MultipleChoiceField(
            choices=[(c, c) for c in field.choices], widget=forms.CheckboxSelectMultiple, **common
        )
    return forms.CharField(max_length=field.max_length or None, **common)


class PersonForm(forms.Form):
    first_name = forms.CharField(label=_("First name"), max_length=150, required=False)
    last_name = forms.CharField(label=_("Last name"), max_length=150, required=False)
    date_of_birth = forms.DateField(
        label=_("Date of birth"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    gender = forms.ChoiceField(
        label=_("Gender"), choices=[("", "—"), *Person.Gender.choices], required=False
    )
    preferred_language = forms.ChoiceField(
        label=_("Preferred language"), choices=[("", "—"), *settings.LANGUAGES], required=False
    )
    preferred_channel = forms.ChoiceField(
        label=_("Preferred channel"), choices=[("", "—"), *Channel.choices], required=False
    )
    email = forms.CharField(label=_("Email"), max_length=254, required=False)
    phone = forms.CharField(label=_("Phone"), max_length=40, required=False)
    street = forms.CharField(label=_("Street address"), max_length=300, required=False)
    postal_code = forms.CharField(label=_("Postal code"), max_length=16, required=False)
    city = forms.CharField(label=_("City"), max_length=100, required=False)
    org_unit: forms.ModelChoiceField[OrgUnit] = forms.ModelChoiceField(
        label=_("Org unit"), queryset=OrgUnit.objects.none(), required=False
    )
    sensitivity = forms.ChoiceField(
        label=_("Sensitivity"), choices=Sensitivity.choices, initial=Sensitivity.NORMAL
    )

    VALUE_FIELDS = (
        "first_name",
        "last_name",
        "date_of_birth",
        "gender",
        "preferred_language",
        "preferred_channel",
    )

    def __init__(
        self,
        *args: Any,
        units: Any,
        custom_fields: list[CustomField],
        creating: bool,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["org_unit"].queryset = units  # type: ignore[attr-defined]
        self.custom_fields = custom_fields
        for field in custom_fields:
            self.fields[f"custom_{field.key}"] = custom_form_field(field)
        if not creating:
            del self.fields["org_unit"]
            del self.fields["sensitivity"]
        if not records_gender():
            del self.fields["gender"]

    def values(self) -> dict[str, Any]:
        return {
            name: self.cleaned_data.get(name) for name in self.VALUE_FIELDS if name in self.fields
        }

    def custom_values(self) -> dict[str, Any]:
        values: dict[str, Any] = {}
        for field in self.custom_fields:
            value = self.cleaned_data.get(f"custom_{field.key}")
            if isinstance(value, datetime.date):
                value = value.isoformat()
            values[field.key] = None if value in ("", [], None) else value
        return values

    def add_action_errors(self, error: ValidationError) -> None:
        """Put an action's errors, keyed the way actions name them, on the matching fields."""
        errors = error.message_dict if hasattr(error, "error_dict") else {"": error.messages}
        names = {"emails.0.address": "email", "phones.0.number": "phone"}
        for key, messages in errors.items():
            name = names.get(key) or (f"custom_{key[7:]}" if key.startswith("custom.") else key)
            self.add_error(name if name in self.fields else None, messages)


class TimelineFilterForm(forms.Form):
    type = forms.CharField(
        label=_("Type"), required=False, help_text=_("e.g. housing. for all housing events")
    )
    org_unit = forms.IntegerField(label=_("Org unit"), required=False, widget=forms.Select)
    source = forms.CharField(label=_("Source"), required=False)
    since = forms.DateField(
        label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    until = forms.DateField(
        label=_("To"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
