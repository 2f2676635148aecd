"""The editor's forms for steps: one per kind of step, each turning a step of the
definition into fields and back; the definition's own checks (definition.py) then refuse
what does not fit, with the field named."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from luukku.campaigns.models import Campaign
from luukku.core.models import OrgUnit, WebhookEndpoint
from luukku.desk.models import Queue
from luukku.segments.models import Segment

STEP_TYPES = [
    ("send", _("Send a message")),
    ("wait", _("Wait")),
    ("wait_until", _("Wait until a time of day")),
    ("wait_event", _("Wait for an event")),
    ("branch", _("Branch on a condition")),
    ("split", _("Split at random")),
    ("update_field", _("Set a field")),
    ("segment_add", _("Add to a static segment")),
    ("segment_remove", _("Remove from a static segment")),
    ("create_case", _("Create a case")),
    ("webhook", _("Call a webhook")),
    ("end", _("End")),
]
TYPE_LABELS = dict(STEP_TYPES)
WEEKDAYS = [
    (0, _("Monday")),
    (1, _("Tuesday")),
    (2, _("Wednesday")),
    (3, _("Thursday")),
    (4, _("Friday")),
    (5, _("Saturday")),
    (6, _("Sunday")),
]
END = ""


def parse_match(text: str) -> dict[str, Any]:
    """`field = value` per line (a number stays a number)."""
    found: dict[str, Any] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        name, sep, value = line.partition("=")
        if not sep or not name.strip():
            raise forms.ValidationError(
                _("Line %(n)s: write field = value.") % {"n": number}, code="match"
            )
        value = value.strip()
        found[name.strip()] = int(value) if value.lstrip("-").isdigit() else value
    return found


def show_match(match: dict[str, Any]) -> str:
    return "\n".join(f"{k} = {v}" for k, v in match.items())


def match_field() -> forms.CharField:
    """Payload conditions, `field = value` a line (`parse_match`)."""
    return forms.CharField(
        label=_("Only when the event has (field = value, one a line)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class StepForm(forms.Form):
    label = forms.CharField(label=_("Label"), max_length=120, required=False)

    def __init__(self, *args: Any, steps: list[str], journey: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.journey = journey
        targets = [(END, _("(the end)"))] + [(s, s) for s in steps]
        for name, value in self.fields.items():
            if isinstance(value, forms.ChoiceField) and getattr(value, "is_target", False):
                value.choices = targets
                self.fields[name] = value

    @classmethod
    def initial_of(cls, step: dict[str, Any]) -> dict[str, Any]:
        return {k: v for k, v in step.items() if k != "type"}

    def choose(self, name: str, choices: list[tuple[Any, Any]]) -> None:
        field = self.fields[name]
        assert isinstance(field, forms.ChoiceField)
        field.choices = choices

    def step(self, type: str) -> dict[str, Any]:
        data = {k: v for k, v in self.cleaned_data.items() if v not in (None, "")}
        return {"type": type, **data}


def in_branch_of(unit: OrgUnit) -> Q:
    """Things of the unit, of a unit below it or of one above it: what its journeys may
    name (as validation.in_branch)."""
    above = [u.pk for u in unit.ancestors()]
    return Q(org_unit__path__startswith=unit.path) | Q(org_unit__in=above)


def target(label: Any) -> forms.ChoiceField:
    found = forms.ChoiceField(label=label, required=False)
    found.is_target = True  # type: ignore[attr-defined]
    return found


class SendForm(StepForm):
    message = forms.TypedChoiceField(label=_("Message"), coerce=int)
    service = forms.BooleanField(
        label=_("A service message (needs no consent; never held or capped)"), required=False
    )
    next = target(_("Then"))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        messages = Campaign.objects.filter(
            kind=Campaign.Kind.JOURNEY, org_unit=self.journey.org_unit
        )
        self.choose("message", [(m.pk, m.name) for m in messages.order_by("pk")])


class DurationFields(StepForm):
    days = forms.IntegerField(label=_("Days"), min_value=0, required=False)
    hours = forms.IntegerField(label=_("Hours"), min_value=0, required=False)
    minutes = forms.IntegerField(label=_("Minutes"), min_value=0, required=False)


class WaitForm(DurationFields):
    business_days = forms.BooleanField(label=_("Count only days the unit is open"), required=False)
    next = target(_("Then"))

    @classmethod
    def initial_of(cls, step: dict[str, Any]) -> dict[str, Any]:
        return {**step.get("duration", {}), **super().initial_of(step)}

    def step(self, type: str) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "type": type,
            "label": data["label"],
            "duration": {k: data[k] or 0 for k in ("days", "hours", "minutes")},
            "business_days": data["business_days"],
            "next": data["next"] or None,
        }


class WaitUntilForm(StepForm):
    time = forms.TimeField(label=_("Time of day"))
    weekdays = forms.TypedMultipleChoiceField(
        label=_("On these days (none: any day)"),
        choices=WEEKDAYS,
        coerce=int,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    next = target(_("Then"))

    def step(self, type: str) -> dict[str, Any]:
        found = super().step(type)
        found["time"] = self.cleaned_data["time"].strftime("%H:%M")
        found["weekdays"] = self.cleaned_data["weekdays"]
        return found


class WaitEventForm(DurationFields):
    event_type = forms.CharField(label=_("Event type"), max_length=100)
    match = match_field()
    keyed = forms.BooleanField(label=_("Only the event about the same key"), required=False)
    next = target(_("If it arrives"))
    timeout_next = target(_("If it does not arrive in time"))

    @classmethod
    def initial_of(cls, step: dict[str, Any]) -> dict[str, Any]:
        return {
            **(step.get("timeout") or {}),
            **super().initial_of(step),
            "match": show_match(step.get("match", {})),
        }

    def step(self, type: str) -> dict[str, Any]:
        data = self.cleaned_data
        timeout = {k: data[k] or 0 for k in ("days", "hours", "minutes")}
        return {
            "type": type,
            "label": data["label"],
            "event_type": data["event_type"],
            "match": parse_match(data["match"]),
            "keyed": data["keyed"],
            "timeout": timeout if any(timeout.values()) else None,
            "next": data["next"] or None,
            "timeout_next": data["timeout_next"] or None,
        }


CONDITIONS = [
    ("field", _("A field of the person")),
    ("entry", _("A fact of the entry event")),
    ("segment", _("In a segment")),
    ("consent", _("May be contacted for the purpose")),
    ("outcome", _("What became of a message")),
]
OPS = [
    ("eq", _("is")),
    ("ne", _("is not")),
    ("in", _("is one of")),
    ("exists", _("has a value")),
    ("missing", _("has no value")),
    ("gt", _("is more than")),
    ("lt", _("is less than")),
    ("contains", _("contains")),
]
OUTCOMES = [
    ("delivered", _("delivered")),
    ("opened", _("opened")),
    ("clicked", _("clicked")),
    ("skipped", _("not sent")),
]


class BranchForm(StepForm):
    kind = forms.ChoiceField(label=_("Condition"), choices=CONDITIONS)
    field = forms.CharField(label=_("Field (custom fields as custom:key)"), required=False)
    op = forms.ChoiceField(label=_("Comparison"), choices=OPS, required=False)
    value = forms.CharField(label=_("Value"), required=False)
    segment = forms.CharField(label=_("Segment (short name)"), required=False)
    channel = forms.ChoiceField(
        label=_("Channel"), choices=[("email", _("Email")), ("sms", _("SMS"))], required=False
    )
    step_id = forms.CharField(label=_("The message's step"), required=False)
    outcome = forms.ChoiceField(label=_("Outcome"), choices=OUTCOMES, required=False)
    yes = target(_("If so"))
    no = target(_("If not"))

    @classmethod
    def initial_of(cls, step: dict[str, Any]) -> dict[str, Any]:
        condition = (step.get("all") or [{}])[0]
        return {
            **condition,
            "step_id": condition.get("step", ""),
            "label": step.get("label", ""),
            "yes": step.get("yes") or END,
            "no": step.get("no") or END,
        }

    def step(self, type: str) -> dict[str, Any]:
        data = self.cleaned_data
        condition = {
            k: data[k] for k in ("kind", "field", "op", "segment", "channel", "outcome") if data[k]
        }
        if data["value"]:
            condition["value"] = data["value"]
        if data["step_id"]:
            condition["step"] = data["step_id"]
        return {
            "type": type,
            "label": data["label"],
            "all": [condition],
            "yes": data["yes"] or None,
            "no": data["no"] or None,
        }


class SplitForm(StepForm):
    paths = forms.CharField(
        label=_("Paths: share in %, then the step, then a name; one a line"),
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("E.g. 50 reminder A"),
    )

    @classmethod
    def initial_of(cls, step: dict[str, Any]) -> dict[str, Any]:
        lines = [
            f"{p['percent']} {p.get('next') or '-'} {p.get('label', '')}".strip()
            for p in step.get("paths", [])
        ]
        return {"label": step.get("label", ""), "paths": "\n".join(lines)}

    def step(self, type: str) -> dict[str, Any]:
        paths = []
        for number, line in enumerate(self.cleaned_data["paths"].splitlines(), start=1):
            parts = line.split(maxsplit=2)
            if not parts:
                continue
            if len(parts) < 2 or not parts[0].isdigit():
                raise forms.ValidationError(
                    _("Line %(n)s: write the share, the step and a name.") % {"n": number}
                )
            next_step = None if parts[1] == "-" else parts[1]
            paths.append(
                {
                    "percent": int(parts[0]),
                    "next": next_step,
                    "label": parts[2] if len(parts) > 2 else "",
                }
            )
        return {"type": type, "label": self.cleaned_data["label"], "paths": paths}


class UpdateFieldForm(StepForm):
    field = forms.CharField(label=_("Field (custom fields as custom:key)"))
    value = forms.CharField(label=_("New value"), required=False)
    next = target(_("Then"))


class SegmentForm(StepForm):
    segment = forms.ChoiceField(label=_("Static segment"))
    next = target(_("Then"))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        static = Segment.objects.filter(
            in_branch_of(self.journey.org_unit), kind=Segment.Kind.STATIC, is_active=True
        ).order_by("name")
        self.choose("segment", [(s.slug, s.name) for s in static])


class CaseForm(StepForm):
    queue = forms.ChoiceField(label=_("Queue"))
    subject = forms.CharField(label=_("Subject"), max_length=300)
    note = forms.CharField(
        label=_("Note for the agent"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    priority = forms.ChoiceField(
        label=_("Priority"),
        choices=[
            ("low", _("Low")),
            ("normal", _("Normal")),
            ("high", _("High")),
            ("urgent", _("Urgent")),
        ],
        initial="normal",
    )
    assignee = forms.CharField(
        label=_("A task for (username; empty: the queue decides)"), required=False
    )
    next = target(_("Then"))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        queues = Queue.objects.filter(in_branch_of(self.journey.org_unit)).order_by("name")
        self.choose("queue", [(q.slug, q.name) for q in queues])


class WebhookForm(StepForm):
    endpoint = forms.TypedChoiceField(label=_("Endpoint"), coerce=int)
    next = target(_("Then"))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        endpoints = WebhookEndpoint.objects.filter(
            in_branch_of(self.journey.org_unit) | Q(org_unit__isnull=True), is_active=True
        ).order_by("url")
        self.choose("endpoint", [(e.pk, e.url) for e in endpoints])


class EndForm(StepForm):
    pass


FORMS: dict[str, type[StepForm]] = {
    "send": SendForm,
    "wait": WaitForm,
    "wait_until": WaitUntilForm,
    "wait_event": WaitEventForm,
    "branch": BranchForm,
    "split": SplitForm,
    "update_field": UpdateFieldForm,
    "segment_add": SegmentForm,
    "segment_remove": SegmentForm,
    "create_case": CaseForm,
    "webhook": WebhookForm,
    "end": EndForm,
}


def step_form(
    type: str, step: dict[str, Any], *, data: Any = None, steps: list[str], journey: Any
) -> StepForm:
    form_class = FORMS[type]
    initial = form_class.initial_of(step)
    for name in ("next", "timeout_next", "yes", "no"):
        if name in initial and initial[name] is None:
            initial[name] = END
    return form_class(data, initial=initial, steps=steps, journey=journey)


class NewStepForm(forms.Form):
    step_id = forms.SlugField(label=_("Short name"), max_length=64)
    type = forms.ChoiceField(label=_("Kind"), choices=STEP_TYPES)
