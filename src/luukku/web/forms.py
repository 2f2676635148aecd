from __future__ import annotations

import zoneinfo
from collections.abc import Iterator
from typing import Any

import phonenumbers
from django import forms
from django.conf import settings
from django.contrib.auth.forms import PasswordResetForm
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from luukku.core.actions import calendars, people
from luukku.core.links import password_link_template
from luukku.core.models import (
    Absence,
    AuditEntry,
    HolidayCountry,
    OrgUnit,
    Presence,
    Role,
    User,
    WorkingHours,
)


def time_zone_choices() -> list[tuple[str, str]]:
    nordic = ["Europe/Oslo", "Europe/Helsinki", "Europe/Stockholm", "Europe/Copenhagen", "UTC"]
    rest = sorted(zoneinfo.available_timezones() - set(nordic))
    return [(tz, tz) for tz in nordic + rest]


class OrgUnitForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=200)
    slug = forms.SlugField(label=_("Short name"), max_length=64)
    parent = forms.ModelChoiceField(
        label=_("Parent unit"), queryset=OrgUnit.objects.none(), required=True
    )
    time_zone = forms.ChoiceField(label=_("Time zone"), choices=time_zone_choices)
    language = forms.ChoiceField(label=_("Default language"), choices=settings.LANGUAGES)

    def __init__(self, *args: Any, parents: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["parent"].queryset = parents  # type: ignore[attr-defined]


class UserForm(forms.Form):
    username = forms.RegexField(label=_("Username"), regex=r"^[\w.@+-]+$", max_length=150)
    first_name = forms.CharField(label=_("First name"), max_length=150, required=False)
    last_name = forms.CharField(label=_("Last name"), max_length=150, required=False)
    email = forms.EmailField(label=_("Email"), required=False)
    language = forms.ChoiceField(
        label=_("Language"),
        choices=[("", _("Organization default")), *settings.LANGUAGES],
        required=False,
    )
    org_unit = forms.ModelChoiceField(label=_("Org unit"), queryset=OrgUnit.objects.none())
    role = forms.ChoiceField(label=_("Role"), choices=Role.choices)

    def __init__(self, *args: Any, units: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["org_unit"].queryset = units  # type: ignore[attr-defined]

    def clean_username(self) -> str:
        username: str = self.cleaned_data["username"]
        if User.objects.filter(username=username).exists():
            raise forms.ValidationError(_("This username is taken."))
        return username


class UserEditForm(forms.Form):
    first_name = forms.CharField(label=_("First name"), max_length=150, required=False)
    last_name = forms.CharField(label=_("Last name"), max_length=150, required=False)
    email = forms.EmailField(label=_("Email"), required=False)
    language = forms.ChoiceField(
        label=_("Language"),
        choices=[("", _("Organization default")), *settings.LANGUAGES],
        required=False,
    )
    capacity = forms.IntegerField(
        label=_("Cases at a time"),
        min_value=0,
        max_value=500,
        help_text=_(
            "Automatic assignment gives no more than this; a case weighs by its channel "
            "(Desk setup, channel weights). 0: none automatically."
        ),
    )
    is_active = forms.BooleanField(label=_("Active"), required=False)


class MembershipForm(forms.Form):
    org_unit = forms.ModelChoiceField(label=_("Org unit"), queryset=OrgUnit.objects.none())
    role = forms.ChoiceField(label=_("Role"), choices=Role.choices)

    def __init__(self, *args: Any, units: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["org_unit"].queryset = units  # type: ignore[attr-defined]


class AbsenceForm(forms.ModelForm):
    class Meta:
        model = Absence
        fields = ["kind", "starts_on", "ends_on", "note"]
        widgets = {
            "starts_on": forms.DateInput(attrs={"type": "date"}),
            "ends_on": forms.DateInput(attrs={"type": "date"}),
        }


class TeamForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=200)
    org_unit = forms.ModelChoiceField(label=_("Org unit"), queryset=OrgUnit.objects.none())
    members = forms.ModelMultipleChoiceField(
        label=_("Members"),
        queryset=User.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args: Any, units: Any, users: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["org_unit"].queryset = units  # type: ignore[attr-defined]
        self.fields["members"].queryset = users  # type: ignore[attr-defined]


class SettingsForm(forms.Form):
    language = forms.ChoiceField(
        label=_("Language"),
        choices=[("", _("Organization default")), *settings.LANGUAGES],
        required=False,
    )
    time_zone = forms.ChoiceField(
        label=_("Time zone"),
        choices=[("", _("My org unit's time zone")), *time_zone_choices()],
        required=False,
    )
    mobile = forms.CharField(
        label=_("Mobile number"),
        required=False,
        help_text=_("For urgent notifications by SMS, such as escalated cases."),
    )

    def __init__(self, *args: Any, region: str = "NO", **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.region = region

    def clean_mobile(self) -> str:
        text: str = (self.cleaned_data.get("mobile") or "").strip()
        if not text:
            return ""
        try:
            number = phonenumbers.parse(text, self.region)
        except phonenumbers.NumberParseException:
            number = None
        if number is None or not phonenumbers.is_valid_number(number):
            raise forms.ValidationError(_("“%(text)s” is not a phone number.") % {"text": text})
        return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


class PresenceForm(forms.Form):
    presence = forms.ChoiceField(label=_("Presence"), choices=Presence.choices)


class TokenForm(forms.Form):
    name = forms.CharField(label=_("Token name"), max_length=100)
    expires_days = forms.IntegerField(
        label=_("Expires after (days)"), min_value=1, max_value=3650, required=False
    )


class AuditFilterForm(forms.Form):
    actor = forms.CharField(label=_("Who"), required=False)
    action = forms.ChoiceField(
        label=_("Action"), choices=[("", _("Any")), *AuditEntry.Action.choices], required=False
    )
    object_type = forms.CharField(label=_("Object type"), required=False)
    object_id = forms.CharField(label=_("Object id"), required=False)
    since = forms.DateField(
        label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    until = forms.DateField(
        label=_("To"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )


class QueuedPasswordResetForm(PasswordResetForm):
    """Password reset through the job queue; the link is made when the mail is sent.

    Unlike Django's form it also reaches users who never had a password (new staff).
    """

    def get_users(self, email: str) -> Iterator[User]:
        return iter(User.objects.filter(email__iexact=email, is_active=True))

    def save(self, *args: Any, request: HttpRequest | None = None, **kwargs: Any) -> None:
        assert request is not None
        template = password_link_template(request)
        for user in self.get_users(self.cleaned_data["email"]):
            people.send_password_link(user, link_template=template, invitation=False)


class WorkingHoursForm(forms.Form):
    """A regular week: up to two intervals per weekday; leave a day empty for a day off."""

    SLOTS = 2

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for day, day_name in WorkingHours.Weekday.choices:
            for slot in range(self.SLOTS):
                for edge, label in (("starts", _("from")), ("ends", _("to"))):
                    name = f"{day_name} {label}"
                    self.fields[f"d{day}_{slot}_{edge}"] = forms.TimeField(
                        label=name,
                        required=False,
                        widget=forms.TimeInput(
                            attrs={"type": "time", "aria-label": name}, format="%H:%M"
                        ),
                    )

    @classmethod
    def initial_for(cls, hours: Any) -> dict[str, Any]:
        initial: dict[str, Any] = {}
        used: dict[int, int] = {}
        for interval in hours:
            slot = used.get(interval.weekday, 0)
            if slot < cls.SLOTS:
                initial[f"d{interval.weekday}_{slot}_starts"] = interval.starts
                initial[f"d{interval.weekday}_{slot}_ends"] = interval.ends
            used[interval.weekday] = slot + 1
        return initial

    def rows(self) -> list[tuple[str, list[tuple[Any, Any]]]]:
        """(day name, [(starts field, ends field) per slot]) for the template."""
        return [
            (
                str(day_name),
                [
                    (self[f"d{day}_{slot}_starts"], self[f"d{day}_{slot}_ends"])
                    for slot in range(self.SLOTS)
                ],
            )
            for day, day_name in WorkingHours.Weekday.choices
        ]

    def intervals(self) -> list[tuple[int, Any, Any]]:
        found = []
        for day, _day_name in WorkingHours.Weekday.choices:
            for slot in range(self.SLOTS):
                starts = self.cleaned_data.get(f"d{day}_{slot}_starts")
                ends = self.cleaned_data.get(f"d{day}_{slot}_ends")
                if starts is None and ends is None:
                    continue
                if starts is None or ends is None:
                    raise forms.ValidationError(_("Give both a start and an end time."))
                found.append((day, starts, ends))
        return found


WEEKDAY_FIELDS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


class CalendarForm(forms.Form):
    """A unit's calendar: its settings and each weekday's hours as text (08:00-16:00)."""

    name = forms.CharField(label=_("Name"), max_length=200)
    time_zone = forms.ChoiceField(label=_("Time zone"), choices=time_zone_choices)
    holiday_country = forms.ChoiceField(
        label=_("Public holidays of"),
        choices=[("", _("No public holidays")), *HolidayCountry.choices],
        required=False,
    )
    de_facto_holidays = forms.BooleanField(
        label=_("Also close on days most workplaces close"),
        help_text=_("Such as Christmas Eve, Midsummer Eve and New Year's Eve in Sweden."),
        required=False,
    )
    monday = forms.CharField(label=_("Monday"), required=False)
    tuesday = forms.CharField(label=_("Tuesday"), required=False)
    wednesday = forms.CharField(label=_("Wednesday"), required=False)
    thursday = forms.CharField(label=_("Thursday"), required=False)
    friday = forms.CharField(label=_("Friday"), required=False)
    saturday = forms.CharField(label=_("Saturday"), required=False)
    sunday = forms.CharField(label=_("Sunday"), required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name in WEEKDAY_FIELDS:
            self.fields[name].help_text = _(
                "Such as 08:00–11:30, 12:00–16:00; empty when closed; 24:00 is midnight."
            )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        for name in WEEKDAY_FIELDS:
            try:
                data[name] = calendars.parse_hours(data.get(name) or "")
            except forms.ValidationError as error:
                self.add_error(name, error)
        return data

    def week(self) -> list[Any]:
        return [self.cleaned_data[name] for name in WEEKDAY_FIELDS]


class SpecialDayForm(forms.Form):
    date = forms.DateField(label=_("Date"), widget=forms.DateInput(attrs={"type": "date"}))
    name = forms.CharField(label=_("Name"), max_length=200, required=False)
    hours = forms.CharField(
        label=_("Hours"),
        required=False,
        help_text=_("Empty when closed all day; else such as 10:00–14:00."),
    )

    def clean_hours(self) -> str:
        hours: str = self.cleaned_data.get("hours") or ""
        calendars.parse_hours(hours)
        return hours


class DeadlineForm(forms.Form):
    start = forms.DateTimeField(
        label=_("From"), widget=forms.DateTimeInput(attrs={"type": "datetime-local"})
    )
    minutes = forms.IntegerField(label=_("Business minutes"), min_value=0, max_value=525600)
