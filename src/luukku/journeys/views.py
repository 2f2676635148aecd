"""Journey pages: the list; a journey's diagram with who is where and how many went
each way, its funnel, status and problems; the editor (the diagram, a form per step,
the entry and goals, the whole definition as JSON); the dry run; and the person's
journeys on their profile."""

from __future__ import annotations

import json
from typing import Any

from django import forms as django_forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from luukku.campaigns.report import day_bars
from luukku.consent.models import Purpose
from luukku.core.access import Perm, can, require, staff, units_where
from luukku.core.actions.audit import audit_channel
from luukku.customers.access import person_for_actor
from luukku.customers.models import Person
from luukku.journeys import definition as d
from luukku.journeys import dry_runs, services
from luukku.journeys.access import journey_for_actor, journeys_visible_to, visible_enrolments
from luukku.journeys.diagram import layout
from luukku.journeys.forms import (
    DefinitionForm,
    DryRunForm,
    JourneyForm,
    SettingsForm,
    parse_events,
)
from luukku.journeys.models import Enrolment, Journey
from luukku.journeys.simulator import Person as VirtualPerson
from luukku.journeys.statistics import figures, totals_for
from luukku.journeys.step_forms import TYPE_LABELS, NewStepForm, parse_match, step_form
from luukku.journeys.validation import problems


def _journey(request: HttpRequest, pk: int) -> tuple[Any, Journey]:
    actor = staff(request)
    require(actor, Perm.JOURNEY_MANAGE)
    return actor, journey_for_actor(actor, pk)


@login_required
def journey_list(request: HttpRequest) -> HttpResponse:
    actor = staff(request)
    require(actor, Perm.JOURNEY_MANAGE)
    rows = list(journeys_visible_to(actor).select_related("org_unit", "purpose", "current"))
    totals = totals_for([j.pk for j in rows])
    listed = [(j, totals[j.pk]) for j in rows]
    return render(request, "journeys/list.html", {"journeys": listed})


@login_required
def journey_create(request: HttpRequest) -> HttpResponse:
    actor = staff(request)
    require(actor, Perm.JOURNEY_MANAGE)
    form = JourneyForm(
        request.POST or None,
        units=units_where(actor, Perm.JOURNEY_MANAGE),
        purposes=Purpose.objects.filter(is_active=True),
    )
    if request.method == "POST" and form.is_valid():
        with audit_channel("web"):
            journey = services.create_journey(
                name=form.cleaned_data["name"],
                org_unit=form.cleaned_data["org_unit"],
                purpose=form.cleaned_data["purpose"],
                definition={"start": "done", "steps": {"done": {"type": "end"}}},
                by=actor,
            )
        return redirect("journeys:edit", pk=journey.pk)
    return render(request, "journeys/create.html", {"form": form})


def _newest(journey: Journey) -> dict[str, Any]:
    return services.editable_version(journey).definition


def _diagram(journey: Journey, definition: dict[str, Any], *, with_figures: bool) -> Any:
    drawn = layout(d.parse(definition))
    if with_figures:
        found = figures(journey).steps
        for box in drawn.boxes:
            step = found.get(box.id)
            if step is not None:
                box.figures = {"waiting": step.waiting, "passed": step.passed, **step.ways}
    return drawn


@login_required
def journey_detail(request: HttpRequest, pk: int) -> HttpResponse:
    actor, journey = _journey(request, pk)
    definition = _newest(journey)
    found = figures(journey)
    days = [{"day": day, **values} for day, values in found.days[-60:]]
    draft = services.draft_of(journey)
    context = {
        "journey": journey,
        "draft": draft,
        "diagram": _diagram(journey, definition, with_figures=True),
        "types": TYPE_LABELS,
        "problems": problems(definition, purpose=journey.purpose, unit=journey.org_unit)
        if draft
        else [],
        "totals": found.totals,
        "days": found.days[-60:],
        "entered_bars": day_bars(days, "entered"),
        "goal_bars": day_bars(days, "goal"),
        "journey_messages": services.messages_of(journey),
        "recent": visible_enrolments(actor, journey)
        .select_related("person", "version")
        .order_by("-entered_at")[:20],
        "versions": journey.versions.order_by("-number"),
    }
    return render(request, "journeys/detail.html", context)


@login_required
@require_POST
def journey_status(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    actor, journey = _journey(request, pk)
    try:
        with audit_channel("web"):
            if action == "activate":
                services.activate(journey, by=actor, migrate=request.POST.get("migrate") == "on")
                messages.success(request, _("The journey is active."))
            else:
                status = {"pause": "paused", "resume": "active", "archive": "archived"}[action]
                services.set_status(journey, status, by=actor)
                messages.success(request, _("Done."))
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
    return redirect("journeys:detail", pk=journey.pk)


@login_required
def journey_edit(request: HttpRequest, pk: int) -> HttpResponse:
    """The diagram and the forms for how persons enter and leave, and the JSON."""
    _actor, journey = _journey(request, pk)
    definition = _newest(journey)
    settings_form = SettingsForm(initial=SettingsForm.initial_of(definition), unit=journey.org_unit)
    json_form = DefinitionForm(initial={"definition": json.dumps(definition, indent=2)})
    if request.method == "POST":
        if "definition" in request.POST:
            json_form = DefinitionForm(request.POST)
            if json_form.is_valid() and _save(
                request, journey, json_form.cleaned_data["definition"], json_form
            ):
                return redirect("journeys:edit", pk=journey.pk)
        else:
            settings_form = SettingsForm(request.POST, unit=journey.org_unit)
            if settings_form.is_valid():
                try:
                    changed = settings_form.apply(definition)
                except django_forms.ValidationError as error:
                    settings_form.add_error("match", error)
                else:
                    if _save(request, journey, changed, settings_form):
                        return redirect("journeys:edit", pk=journey.pk)
    return render(
        request,
        "journeys/edit.html",
        {
            "journey": journey,
            "diagram": _diagram(journey, definition, with_figures=False),
            "types": TYPE_LABELS,
            "settings_form": settings_form,
            "json_form": json_form,
            "new_step": NewStepForm(),
            "start": definition.get("start"),
            "problems": problems(definition, purpose=journey.purpose, unit=journey.org_unit),
            "messages_of": services.messages_of(journey),
        },
    )


def _save(request: HttpRequest, journey: Journey, definition: dict[str, Any], form: Any) -> bool:
    try:
        with audit_channel("web"):
            services.save_draft(journey, definition, by=staff(request))
    except ValidationError as error:
        for message in error.messages:
            form.add_error(None, message)
        return False
    messages.success(request, _("Saved as a draft. Activate it from the journey's page."))
    return True


@login_required
def step_edit(request: HttpRequest, pk: int, step_id: str) -> HttpResponse:
    _actor, journey = _journey(request, pk)
    definition = _newest(journey)
    step = definition.get("steps", {}).get(step_id)
    if step is None:
        messages.error(request, _("No such step."))
        return redirect("journeys:edit", pk=journey.pk)
    others = [s for s in definition["steps"] if s != step_id]
    form = step_form(step["type"], step, data=request.POST or None, steps=others, journey=journey)
    if request.method == "POST" and form.is_valid():
        try:
            changed = form.step(step["type"])
        except django_forms.ValidationError as error:
            form.add_error(None, error)
        else:
            steps = {**definition["steps"], step_id: changed}
            start = step_id if request.POST.get("first") == "on" else definition.get("start")
            if _save(request, journey, {**definition, "steps": steps, "start": start}, form):
                return redirect("journeys:edit", pk=journey.pk)
    return render(
        request,
        "journeys/step.html",
        {
            "journey": journey,
            "step_id": step_id,
            "type_label": TYPE_LABELS.get(step["type"], step["type"]),
            "form": form,
            "is_first": definition.get("start") == step_id,
            "messages_of": services.messages_of(journey) if step["type"] == "send" else [],
        },
    )


@login_required
@require_POST
def step_add(request: HttpRequest, pk: int) -> HttpResponse:
    _actor, journey = _journey(request, pk)
    definition = _newest(journey)
    form = NewStepForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Give the step a short name (letters, digits, - and _)."))
        return redirect("journeys:edit", pk=journey.pk)
    step_id, kind = form.cleaned_data["step_id"], form.cleaned_data["type"]
    if step_id in definition.get("steps", {}):
        messages.error(request, _("There is a step %(id)s already.") % {"id": step_id})
        return redirect("journeys:edit", pk=journey.pk)
    starter = _starter(kind, journey)
    if starter is None:
        messages.error(request, _("Create a message for the journey first."))
        return redirect("journeys:edit", pk=journey.pk)
    steps = {**definition.get("steps", {}), step_id: starter}
    start = definition.get("start") or step_id
    if _save(request, journey, {**definition, "steps": steps, "start": start}, django_forms.Form()):
        return redirect("journeys:step", pk=journey.pk, step_id=step_id)
    return redirect("journeys:edit", pk=journey.pk)


def _starter(kind: str, journey: Journey) -> dict[str, Any] | None:
    """A new step of the kind with harmless values, for its form to fill in."""
    if kind == "send":
        message = services.messages_of(journey)
        from luukku.campaigns.models import Campaign

        first = (
            message[0]
            if message
            else Campaign.objects.filter(
                kind=Campaign.Kind.JOURNEY, org_unit=journey.org_unit
            ).first()
        )
        return None if first is None else {"type": kind, "message": first.pk}
    defaults: dict[str, dict[str, Any]] = {
        "wait": {"duration": {"days": 1}},
        "wait_until": {"time": "09:00"},
        "wait_event": {"event_type": "event.type", "timeout": {"days": 7}},
        "branch": {"all": [{"kind": "field", "field": "first_name", "op": "exists"}]},
        "split": {"paths": [{"percent": 50, "label": "A"}, {"percent": 50, "label": "B"}]},
        "update_field": {"field": "preferred_language", "value": "nb"},
        "segment_add": {"segment": "-"},
        "segment_remove": {"segment": "-"},
        "create_case": {"queue": "-", "subject": journey.name},
        "webhook": {"endpoint": 0},
        "end": {},
    }
    return {"type": kind, **defaults[kind]}


@login_required
@require_POST
def step_delete(request: HttpRequest, pk: int, step_id: str) -> HttpResponse:
    _actor, journey = _journey(request, pk)
    definition = _newest(journey)
    steps = {k: v for k, v in definition.get("steps", {}).items() if k != step_id}
    start = definition.get("start")
    _save(
        request,
        journey,
        {**definition, "steps": steps, "start": None if start == step_id else start},
        django_forms.Form(),
    )
    return redirect("journeys:edit", pk=journey.pk)


@login_required
@require_POST
def message_add(request: HttpRequest, pk: int) -> HttpResponse:
    """A new message for the journey, then its content editor."""
    actor, journey = _journey(request, pk)
    name = request.POST.get("name", "").strip() or _("Message")
    with audit_channel("web"):
        made = services.new_message(journey, name=name[:150], by=actor)
    return redirect(
        "campaigns:content", pk=made.pk, channel="email", language=made.default_language
    )


@login_required
def journey_dry_run(request: HttpRequest, pk: int) -> HttpResponse:
    actor, journey = _journey(request, pk)
    form = DryRunForm(request.POST or None)
    lines = None
    if request.method == "POST" and form.is_valid():
        try:
            entry = parse_match(form.cleaned_data["entry"])
            events = [
                dry_runs.PlannedEvent(after, type, payload)
                for after, type, payload in parse_events(form.cleaned_data["events"])
            ]
            if form.cleaned_data["person"]:
                person = dry_runs.facts_of(
                    person_for_actor(actor, form.cleaned_data["person"]), journey
                )
            else:
                person = VirtualPerson(values=parse_match(form.cleaned_data["values"]))
            version = services.editable_version(journey)
            lines = dry_runs.plan(journey, version, person=person, entry=entry, events=events)
        except django_forms.ValidationError as error:
            form.add_error(None, error)
        except ValidationError as error:
            form.add_error(None, error.messages)
    return render(
        request,
        "journeys/dry_run.html",
        {
            "journey": journey,
            "form": form,
            "lines": lines,
            "types": TYPE_LABELS,
            "statuses": dict(Enrolment.Status.choices),
        },
    )


def journeys_panel(request: HttpRequest, actor: Any, person: Person) -> str:
    """The person's journeys on their profile, for those who run journeys: where they
    are, since when, and time held by an open case with the reason."""
    if not can(actor, Perm.JOURNEY_MANAGE):
        return ""
    rows = (
        Enrolment.objects.filter(person=person, journey__in=journeys_visible_to(actor))
        .select_related("journey", "version")
        .order_by("-entered_at")[:20]
    )
    if not rows:
        return ""
    return render_to_string("journeys/_panel.html", {"enrolments": rows}, request=request)
