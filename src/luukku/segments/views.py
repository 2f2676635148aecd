"""Segment pages: the list, the builder with its live count and sample, and a segment's
members, size over time and "why is this person in it"."""

from __future__ import annotations

import csv
import io
import json
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from luukku.consent.models import Purpose
from luukku.core.access import Perm, require, staff, units_where
from luukku.core.actions.audit import audit_channel
from luukku.core.models import User
from luukku.customers import access as customer_access
from luukku.customers.models import CustomField, EmailAddress, Person, RelationshipType
from luukku.customers.models.parties import Channel
from luukku.desk.models import Queue
from luukku.segments import builder, membership, rules, services
from luukku.segments.access import segment_for_actor, segments_visible_to, visible_members
from luukku.segments.compiler import compile_rule, scope_of
from luukku.segments.models import Membership, Segment, SegmentCount

SAMPLE = 10


class SegmentForm(forms.ModelForm[Segment]):
    class Meta:
        model = Segment
        fields = ["name", "slug", "org_unit", "kind", "description", "is_active"]

    def __init__(self, *args: Any, units: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        org_unit: Any = self.fields["org_unit"]
        org_unit.queryset = units


def _choices() -> dict[str, Any]:
    """What the builder's menus offer."""
    custom = [
        (f"custom.{key}", label)
        for key, label in CustomField.objects.filter(entity=CustomField.Entity.PERSON).values_list(
            "key", "label"
        )
    ]
    return {
        "fields": [
            (f, f) for f in (*rules.TEXT_FIELDS, *rules.DATE_FIELDS, "age", *rules.FLAG_FIELDS)
        ]
        + custom,
        "ops": sorted({op for ops in rules.OPS.values() for op in ops}),
        "purposes": list(Purpose.objects.filter(is_active=True).values_list("slug", "name")),
        "channels": Channel.choices,
        "states": rules.CONSENT_STATES,
        "queues": list(Queue.objects.filter(is_active=True).values_list("slug", "name")),
        "segments": list(Segment.objects.values_list("slug", "name")),
        "relationship_types": list(RelationshipType.objects.values_list("code", "label")),
        "kinds": rules.KINDS,
    }


def _preview(actor: User, rule: dict[str, Any], unit: Any) -> dict[str, Any]:
    """The live count and a sample of members the viewer may see, or the rule's problems."""
    problems = services.check_rule(rule)
    if problems or unit is None:
        return {"problems": problems, "count": None, "sample": []}
    selected = Person.objects.filter(compile_rule(rule, scope_of(unit)))
    sample = selected.filter(pk__in=customer_access.persons_visible_to(actor).values("pk"))
    return {
        "problems": [],
        "count": membership.count(rule, unit),
        "sample": list(sample.order_by("pk")[:SAMPLE]),
    }


def _builder_context(actor: User, rule: dict[str, Any], unit: Any) -> dict[str, Any]:
    return {
        "rule_json": json.dumps(rule, ensure_ascii=False),
        "rows": builder.rows(rule),
        "choices": _choices(),
        **_preview(actor, rule, unit),
    }


@login_required
def segment_list(request: HttpRequest) -> HttpResponse:
    actor = staff(request)
    require(actor, Perm.SEGMENT_MANAGE)
    rows = segments_visible_to(actor).select_related("org_unit")
    return render(request, "segments/list.html", {"segments": rows})


@login_required
def segment_edit(request: HttpRequest, slug: str | None = None) -> HttpResponse:
    actor = staff(request)
    require(actor, Perm.SEGMENT_MANAGE)
    units = units_where(actor, Perm.SEGMENT_MANAGE)
    segment = segment_for_actor(actor, slug) if slug else None
    form = SegmentForm(request.POST or None, instance=segment, units=units)
    rule = (
        builder.read(request.POST)
        if request.method == "POST"
        else (segment.rule if segment else builder.read({}))
    )
    if request.method == "POST" and form.is_valid():
        saved = form.save(commit=False)
        saved.rule = rule
        if segment is None:
            saved.created_by = actor
        try:
            with audit_channel("web"):
                services.save_segment(saved, by=actor)
        except ValidationError as error:
            for problem in error.messages:
                form.add_error(None, problem)
        else:
            messages.success(request, _("Saved; the members are being worked out."))
            return redirect("segments:detail", slug=saved.slug)
    unit = form.instance.org_unit if form.instance.org_unit_id else units.first()
    context = {"form": form, "segment": segment, **_builder_context(actor, rule, unit)}
    return render(request, "segments/edit.html", context)


@login_required
@require_POST
def builder_update(request: HttpRequest) -> HttpResponse:
    """The builder after a change (htmx): the tree, the live count and a sample."""
    actor = staff(request)
    require(actor, Perm.SEGMENT_MANAGE)
    rule = builder.read(request.POST)
    action = request.POST.get("builder_action", "")
    if action:
        rule = builder.act(rule, action)
    units = units_where(actor, Perm.SEGMENT_MANAGE)
    unit = units.filter(pk=request.POST.get("org_unit") or 0).first() or units.first()
    html = render_to_string(
        "segments/_builder.html", _builder_context(actor, rule, unit), request=request
    )
    return HttpResponse(html)


@login_required
def segment_detail(request: HttpRequest, slug: str) -> HttpResponse:
    actor = staff(request)
    segment = segment_for_actor(actor, slug)
    shown = visible_members(actor, segment).select_related("person").order_by("-since")[:50]
    counts = list(SegmentCount.objects.filter(segment=segment).order_by("-at")[:48])[::-1]
    why = None
    person_id = request.GET.get("person", "")
    if person_id.isdigit():
        person = customer_access.persons_visible_to(actor).filter(pk=int(person_id)).first()
        if person is not None:
            is_in = Membership.objects.filter(segment=segment, person=person).first()
            why = {
                "person": person,
                "member": is_in,
                "conditions": membership.explain(segment, person),
            }
    context = {
        "segment": segment,
        "members": shown,
        "counts": counts,
        "sparkline": _sparkline([c.members for c in counts]),
        "why": why,
    }
    return render(request, "segments/detail.html", context)


def _sparkline(values: list[int], width: int = 240, height: int = 40) -> str:
    """The points of an SVG polyline for the member count over time."""
    if len(values) < 2:
        return ""
    top = max(values) or 1
    step = width / (len(values) - 1)
    return " ".join(f"{i * step:.1f},{height - v / top * height:.1f}" for i, v in enumerate(values))


@login_required
@require_POST
def segment_evaluate(request: HttpRequest, slug: str) -> HttpResponse:
    """Work the members out now (dynamic), or freeze the rule's members (static)."""
    actor = staff(request)
    segment = segment_for_actor(actor, slug)
    if segment.kind == Segment.Kind.DYNAMIC:
        moves = membership.evaluate_fully(segment)
    else:
        moves = membership.freeze(segment, segment.rule) if segment.rule else membership.Moves()
    messages.success(
        request,
        _("%(entered)s entered, %(exited)s left.")
        % {"entered": len(moves.entered), "exited": len(moves.exited)},
    )
    return redirect("segments:detail", slug=segment.slug)


@login_required
@require_POST
def segment_delete(request: HttpRequest, slug: str) -> HttpResponse:
    """Delete a segment nothing else is built on; its members' timelines keep the past."""
    actor = staff(request)
    segment = segment_for_actor(actor, slug)
    used_by = [s.name for s in services.built_on(segment)]
    if used_by:
        messages.error(
            request,
            _("Other segments are built on it: %(names)s") % {"names": ", ".join(sorted(used_by))},
        )
        return redirect("segments:detail", slug=segment.slug)
    with audit_channel("web"):
        services.delete_segment(segment, by=actor)
    messages.success(request, _("Deleted."))
    return redirect("segments:list")


@login_required
@require_POST
def segment_import(request: HttpRequest, slug: str) -> HttpResponse:
    """A static segment's members from a file: one email address or person id per line.
    Lines that match nobody the importer may see are listed; nothing is half-done."""
    actor = staff(request)
    segment = segment_for_actor(actor, slug)
    if segment.kind != Segment.Kind.STATIC:
        messages.error(request, _("Only a static segment takes a list."))
        return redirect("segments:detail", slug=segment.slug)
    upload = request.FILES.get("file")
    text = upload.read().decode("utf-8-sig", errors="replace") if upload else ""
    visible = customer_access.persons_visible_to(actor)
    found: list[int] = []
    unmatched: list[str] = []
    for number, row in enumerate(csv.reader(io.StringIO(text)), start=1):
        value = (row[0] if row else "").strip()
        if not value:
            continue
        if value.isdigit():
            match = visible.filter(pk=int(value)).values_list("pk", flat=True).first()
        else:
            match = (
                EmailAddress.objects.filter(address_lower=value.lower(), person__in=visible)
                .values_list("person_id", flat=True)
                .first()
            )
        if match is None:
            unmatched.append(f"{number}: {value}")
        else:
            found.append(match)
    if unmatched:
        messages.error(
            request,
            _("Nothing was added: no person for line %(lines)s.")
            % {"lines": "; ".join(unmatched[:10])},
        )
    else:
        moves = membership.add_static(segment, found)
        messages.success(request, _("%(count)s added.") % {"count": len(moves.entered)})
    return redirect("segments:detail", slug=segment.slug)


def segments_panel(request: HttpRequest, actor: User, person: Person) -> str:
    """On the person's profile: the segments they are in (of units the viewer builds
    segments for)."""
    if not units_where(actor, Perm.SEGMENT_MANAGE).exists():
        return ""
    rows = (
        Membership.objects.filter(person=person, segment__in=segments_visible_to(actor))
        .select_related("segment")
        .order_by("segment__name")
    )
    return render_to_string("segments/_profile_segments.html", {"rows": rows}, request=request)
