"""The journey's other forms: a new journey, how persons enter and leave (entry, goal,
exits, holds), the whole definition as JSON, and the dry run."""

from __future__ import annotations

import datetime
import json
import math
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from luukku.consent.models import Purpose
from luukku.core.models import OrgUnit
from luukku.desk.models import Category
from luukku.journeys.step_forms import in_branch_of, match_field, parse_match, show_match

ENTRIES = [
    ("event", _("An event arrives")),
    ("segment", _("The person enters a segment")),
    ("case", _("A case reaches a status")),
    ("date", _("A date comes round")),
    ("manual", _("By hand or through the API")),
]


class SettingsForm(forms.Form):
    """How persons enter, come back, reach the goal and leave; what holds marketing."""

    entry = forms.ChoiceField(label=_("Persons enter when"), choices=ENTRIES)
    event_type = forms.CharField(label=_("Event type"), required=False, max_length=100)
    match = match_field()
    key = forms.CharField(
        label=_("Key: the event's field that names what they enter for (a contract, a service)"),
        required=False,
        max_length=64,
    )
    segment = forms.CharField(label=_("Segment (short name)"), required=False)
    case_status = forms.ChoiceField(
        label=_("Case status"),
        required=False,
        choices=[
            ("", "–"),
            ("resolved", _("Resolved")),
            ("closed", _("Closed")),
            ("new", _("New")),
        ],
    )
    case_queue = forms.CharField(label=_("In queue (short name; empty: any)"), required=False)
    date_field = forms.CharField(
        label=_("Date field (date_of_birth or custom:key)"), required=False
    )
    offset_days = forms.IntegerField(
        label=_("Days after the date (before: negative)"), required=False
    )
    yearly = forms.BooleanField(label=_("Every year"), required=False)
    reentry = forms.ChoiceField(
        label=_("Entering again"),
        choices=[
            ("never", _("Never")),
            ("after_days", _("After some days")),
            ("always", _("Always")),
        ],
    )
    reentry_days = forms.IntegerField(label=_("Days"), required=False, min_value=0)
    goal_event = forms.CharField(label=_("Goal event"), required=False, max_length=100)
    goal_keyed = forms.BooleanField(label=_("Only the goal about the same key"), required=False)
    goal_then = forms.CharField(label=_("Then at once (a step)"), required=False)
    exit_consent = forms.BooleanField(label=_("Leave when consent is withdrawn"), required=False)
    exit_segment = forms.CharField(label=_("Leave when leaving the segment"), required=False)
    exit_event = forms.CharField(label=_("Leave on the event"), required=False)
    hold_any = forms.BooleanField(label=_("Hold messages while any case is open"), required=False)
    hold_categories = forms.ModelMultipleChoiceField(
        label=_("Hold messages while a case of these categories is open"),
        queryset=Category.objects.none(),
        required=False,
    )

    def __init__(self, *args: Any, unit: OrgUnit, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        held = self.fields["hold_categories"]
        assert isinstance(held, forms.ModelMultipleChoiceField)
        held.queryset = Category.objects.filter(in_branch_of(unit)).order_by("name")

    @staticmethod
    def initial_of(defn: dict[str, Any]) -> dict[str, Any]:
        entry = defn.get("entry", {"kind": "manual"})
        goal = (defn.get("goals") or [{}])[0]
        exits = defn.get("exits", [])
        return {
            "entry": entry.get("kind", "manual"),
            "event_type": entry.get("event_type", ""),
            "match": show_match(entry.get("match", {})),
            "key": entry.get("key", ""),
            "segment": entry.get("segment", ""),
            "case_status": entry.get("status", ""),
            "case_queue": entry.get("queue", ""),
            "date_field": entry.get("field", ""),
            "offset_days": entry.get("offset_days", 0),
            "yearly": entry.get("yearly", False),
            "reentry": defn.get("reentry", {}).get("policy", "never"),
            "reentry_days": defn.get("reentry", {}).get("days", 0),
            "goal_event": goal.get("event_type", ""),
            "goal_keyed": goal.get("keyed", False),
            "goal_then": goal.get("then") or "",
            "exit_consent": any(e["kind"] == "consent_withdrawn" for e in exits),
            "exit_segment": next((e["segment"] for e in exits if e["kind"] == "left_segment"), ""),
            "exit_event": next((e["event_type"] for e in exits if e["kind"] == "event"), ""),
            "hold_any": defn.get("hold", {}).get("any_open_case", False),
            "hold_categories": defn.get("hold", {}).get("categories", []),
        }

    def apply(self, defn: dict[str, Any]) -> dict[str, Any]:
        data = self.cleaned_data
        kind = data["entry"]
        entry: dict[str, Any] = {"kind": kind}
        if kind == "event":
            entry |= {
                "event_type": data["event_type"],
                "match": parse_match(data["match"]),
                "key": data["key"],
            }
        elif kind == "segment":
            entry["segment"] = data["segment"]
        elif kind == "case":
            entry |= {"status": data["case_status"] or "resolved", "queue": data["case_queue"]}
        elif kind == "date":
            entry |= {
                "field": data["date_field"],
                "offset_days": data["offset_days"] or 0,
                "yearly": data["yearly"],
            }
        goals = []
        if data["goal_event"]:
            goals.append(
                {
                    "event_type": data["goal_event"],
                    "keyed": data["goal_keyed"],
                    "then": data["goal_then"] or None,
                }
            )
        exits: list[dict[str, Any]] = []
        if data["exit_consent"]:
            exits.append({"kind": "consent_withdrawn"})
        if data["exit_segment"]:
            exits.append({"kind": "left_segment", "segment": data["exit_segment"]})
        if data["exit_event"]:
            exits.append({"kind": "event", "event_type": data["exit_event"]})
        return {
            **defn,
            "entry": entry,
            "reentry": {"policy": data["reentry"], "days": data["reentry_days"] or 0},
            "goals": goals + (defn.get("goals") or [])[1:],
            "exits": exits,
            "hold": {
                "any_open_case": data["hold_any"],
                "categories": [c.pk for c in data["hold_categories"]],
            },
        }


class JourneyForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=200)
    org_unit = forms.ModelChoiceField(label=_("Owning org unit"), queryset=OrgUnit.objects.none())
    purpose = forms.ModelChoiceField(
        label=_("Purpose"), queryset=Purpose.objects.none(), required=False
    )

    def __init__(self, *args: Any, units: Any, purposes: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["org_unit"].queryset = units  # type: ignore[attr-defined]
        self.fields["purpose"].queryset = purposes  # type: ignore[attr-defined]


class DefinitionForm(forms.Form):
    definition = forms.CharField(
        label=_("The whole definition as JSON"), widget=forms.Textarea(attrs={"rows": 24})
    )

    def clean_definition(self) -> dict[str, Any]:
        try:
            found = json.loads(self.cleaned_data["definition"])
        except json.JSONDecodeError as error:
            raise forms.ValidationError(
                _("Not JSON: %(error)s (line %(line)s)")
                % {"error": error.msg, "line": error.lineno}
            ) from None
        if not isinstance(found, dict):
            raise forms.ValidationError(_("The definition is a JSON object."))
        return found


class DryRunForm(forms.Form):
    person = forms.IntegerField(
        label=_("Customer number (empty: a made-up person)"), required=False
    )
    values = forms.CharField(
        label=_("A made-up person's fields (field = value, one a line)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    entry = forms.CharField(
        label=_("The entry event's facts (field = value, one a line)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    events = forms.CharField(
        label=_("Events: days after the start, the type, then field = value pairs; one a line"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("E.g. 2 service.activated service_id = A-7"),
    )


def parse_events(text: str) -> list[tuple[datetime.timedelta, str, dict[str, Any]]]:
    """`days type field = value, …` per line: (after, type, payload)."""
    found = []
    for number, line in enumerate(text.splitlines(), start=1):
        parts = line.split(maxsplit=2)
        if not parts:
            continue
        try:
            days = float(parts[0].replace(",", "."))
        except ValueError:
            days = math.nan
        if not math.isfinite(days) or not 0 <= days <= 400:
            raise forms.ValidationError(
                _("Line %(n)s: start with the days after the start (0 to 400).") % {"n": number}
            )
        if len(parts) < 2:
            raise forms.ValidationError(_("Line %(n)s: name the event type.") % {"n": number})
        payload: dict[str, Any] = {}
        for pair in (parts[2] if len(parts) > 2 else "").split(","):
            if "=" in pair:
                key, _sep, value = pair.partition("=")
                payload[key.strip()] = value.strip()
        found.append((datetime.timedelta(days=days), parts[1], payload))
    return found
