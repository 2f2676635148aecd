from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from luukku.consent.models import Action, Purpose
from luukku.customers.models.parties import Channel


class PurposeForm(forms.ModelForm[Purpose]):
    channels = forms.MultipleChoiceField(
        label=_("Channels"), choices=Channel.choices, widget=forms.CheckboxSelectMultiple
    )

    class Meta:
        model = Purpose
        fields = ["name", "slug", "org_unit", "lawful_basis", "channels", "is_active"]

    def __init__(self, *args: Any, units: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        org_unit: Any = self.fields["org_unit"]
        org_unit.queryset = units


class PurposeTextForm(forms.Form):
    language = forms.ChoiceField(label=_("Language"), choices=settings.LANGUAGES)
    title = forms.CharField(label=_("Title"), max_length=200)
    body = forms.CharField(
        label=_("Text"),
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_("What people read when they are asked. A change makes a new version."),
    )


class RecordForm(forms.Form):
    """A staff member records what a customer said (on the phone, at the desk)."""

    purpose = forms.ModelChoiceField(label=_("Purpose"), queryset=Purpose.objects.none())
    channel = forms.ChoiceField(label=_("Channel"), choices=Channel.choices)
    action = forms.ChoiceField(
        label=_("The customer"),
        choices=[(Action.GRANTED, _("agrees")), (Action.WITHDRAWN, _("withdraws"))],
    )
    note = forms.CharField(label=_("How they said it"), max_length=300, required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        purpose: Any = self.fields["purpose"]
        purpose.queryset = Purpose.objects.filter(is_active=True)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        purpose, channel = data.get("purpose"), data.get("channel")
        if purpose is not None and channel and channel not in purpose.channels:
            self.add_error("channel", _("The purpose does not cover this channel."))
        return data
