"""Setting the desk up: queues, the category tree of each unit, and the statuses an
organization adds to the six fixed ones."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import Count, QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from luukku.core.access import (
    Perm,
    is_organization_admin,
    require,
    require_organization_admin,
    staff,
    units_where,
)
from luukku.core.jobs import enqueue_on_commit
from luukku.core.models import User
from luukku.desk import capacity
from luukku.desk.models import (
    ONE_CASE,
    CaseChannel,
    CaseStatus,
    Category,
    ClassifierVersion,
    Queue,
    RoutingRule,
    Skill,
    SlaPolicy,
)
from luukku.desk.tasks import train_case_classifiers


class QueueForm(forms.ModelForm[Queue]):
    class Meta:
        model = Queue
        fields = [
            "name",
            "slug",
            "org_unit",
            "sensitivity",
            "description",
            "is_active",
            "assignment",
            "return_unstarted",
            "is_triage",
        ]

    def __init__(self, *args: Any, actor: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        units: Any = self.fields["org_unit"]
        units.queryset = units_where(actor, Perm.DESK_MANAGE)
        self.fields["assignment"].required = False  # manual unless chosen

    def clean_assignment(self) -> str:
        return str(self.cleaned_data.get("assignment") or Queue.Assignment.MANUAL)


class CategoryForm(forms.ModelForm[Category]):
    class Meta:
        model = Category
        fields = ["name", "org_unit", "parent"]

    def __init__(self, *args: Any, actor: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        managed = units_where(actor, Perm.DESK_MANAGE)
        units: Any = self.fields["org_unit"]
        units.queryset = managed
        parent: Any = self.fields["parent"]
        parent.queryset = Category.objects.filter(org_unit__in=managed).exclude(pk=self.instance.pk)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        parent, unit = data.get("parent"), data.get("org_unit")
        if parent and unit and parent.org_unit_id != unit.pk:
            self.add_error("parent", _("Choose a category of the same org unit."))
        ancestor = parent
        while ancestor is not None and self.instance.pk:
            if ancestor.pk == self.instance.pk:
                self.add_error("parent", _("A category cannot sit below itself."))
                break
            ancestor = ancestor.parent
        return data


class ChannelWeightsForm(forms.Form):
    """One field per channel: how many cases one of its cases counts as."""

    def __init__(self, *args: Any, current: dict[str, int], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for channel, label in CaseChannel.choices:
            self.fields[channel] = forms.DecimalField(
                label=label,
                min_value=Decimal(0),
                max_value=Decimal(10),
                decimal_places=2,
                initial=Decimal(current[channel]) / ONE_CASE,
                widget=forms.NumberInput(attrs={"step": "0.05"}),
            )

    def weights(self) -> dict[str, int]:
        return {c: int(v * ONE_CASE) for c, v in self.cleaned_data.items()}


class StatusForm(forms.ModelForm[CaseStatus]):
    class Meta:
        model = CaseStatus
        fields = ["name", "category"]


def _managed_units(actor: User) -> Any:
    return units_where(actor, Perm.DESK_MANAGE)


@login_required
def setup(request: HttpRequest) -> HttpResponse:
    actor = staff(request)
    require(actor, Perm.DESK_MANAGE)
    units = _managed_units(actor)
    return render(
        request,
        "desk/setup.html",
        {
            "queues": Queue.objects.filter(org_unit__in=units).select_related("org_unit"),
            "categories": _tree(Category.objects.filter(org_unit__in=units)),
            "statuses": CaseStatus.objects.all(),
            "sla_policies": SlaPolicy.objects.filter(org_unit__in=units).select_related("org_unit"),
            "skills": Skill.objects.prefetch_related("categories").annotate(
                agent_count=Count("agents")
            ),
            "classifiers": ClassifierVersion.objects.filter(org_unit__in=units)
            .defer("model")
            .select_related("org_unit")[:20],
            "routing_rules": RoutingRule.objects.filter(org_unit__in=units).select_related(
                "org_unit"
            ),
            "may_edit_statuses": is_organization_admin(actor),
            "channel_weights": [
                (label, capacity.weights()[channel] / ONE_CASE)
                for channel, label in CaseChannel.choices
            ],
        },
    )


def _tree(categories: Any) -> list[tuple[str, Category]]:
    """(indent, category) in tree order, per unit: a child's indent is one mark longer."""
    rows = list(categories.select_related("org_unit").order_by("org_unit__name", "name"))
    below: dict[int | None, list[Category]] = {}
    for category in rows:
        below.setdefault(category.parent_id, []).append(category)
    ordered: list[tuple[str, Category]] = []

    def walk(parent: int | None, indent: str) -> None:
        for category in below.get(parent, []):
            ordered.append((indent, category))
            walk(category.pk, indent + "› ")

    walk(None, "")
    known = {c.pk for _i, c in ordered}
    ordered += [("", c) for c in rows if c.pk not in known]  # a parent outside the units
    return ordered


def _edit(
    request: HttpRequest,
    form_class: Any,
    rows: QuerySet[Any],
    pk: int | None,
    new_title: str,
    **form_args: Any,
) -> HttpResponse:
    """Create (no `pk`) or edit one of `rows`, those the actor may set up (404 otherwise)."""
    instance = rows.filter(pk=pk).first() if pk is not None else None
    if pk is not None and instance is None:
        return render(request, "desk/not_found.html", status=404)
    form = form_class(request.POST or None, instance=instance, **form_args)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, _("Saved."))
        return redirect("desk:setup")
    title = str(instance) if instance is not None else new_title
    return render(request, "desk/setup_form.html", {"form": form, "title": title})


@login_required
def queue_edit(request: HttpRequest, queue_id: int | None = None) -> HttpResponse:
    actor = staff(request)
    require(actor, Perm.DESK_MANAGE)
    queues = Queue.objects.filter(org_unit__in=_managed_units(actor))
    return _edit(request, QueueForm, queues, queue_id, _("New queue"), actor=actor)


@login_required
def category_edit(request: HttpRequest, category_id: int | None = None) -> HttpResponse:
    actor = staff(request)
    require(actor, Perm.DESK_MANAGE)
    categories = Category.objects.filter(org_unit__in=_managed_units(actor))
    return _edit(request, CategoryForm, categories, category_id, _("New category"), actor=actor)


@login_required
def status_edit(request: HttpRequest, status_id: int | None = None) -> HttpResponse:
    """Statuses are the whole organization's, so for its administrators."""
    actor = staff(request)
    require_organization_admin(actor)
    return _edit(request, StatusForm, CaseStatus.objects.all(), status_id, _("New status"))


@login_required
def channel_weights(request: HttpRequest) -> HttpResponse:
    """How much of an agent's capacity a case of each channel takes: the whole
    organization's, so for its administrators."""
    actor = staff(request)
    require_organization_admin(actor)
    form = ChannelWeightsForm(request.POST or None, current=capacity.weights())
    if request.method == "POST" and form.is_valid():
        try:
            capacity.save_weights(form.weights(), by=actor)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("Saved; every agent's load is counted with them."))
            return redirect("desk:setup")
    title = _("Channel weights")
    return render(request, "desk/setup_form.html", {"form": form, "title": title})


@login_required
def classifier_train(request: HttpRequest) -> HttpResponse:
    """Start a training now (the worker runs it); new versions show on the setup page."""
    actor = staff(request)
    require(actor, Perm.DESK_MANAGE)
    if request.method == "POST":
        enqueue_on_commit(train_case_classifiers)
        messages.success(request, _("Training started; the new versions appear here when done."))
    return redirect("desk:setup")


@login_required
def classifier_threshold(request: HttpRequest, version_id: int) -> HttpResponse:
    actor = staff(request)
    require(actor, Perm.DESK_MANAGE)
    version = (
        ClassifierVersion.objects.filter(org_unit__in=_managed_units(actor), pk=version_id)
        .defer("model")
        .first()
    )
    try:
        threshold = float(request.POST.get("threshold", "")) / 100
    except ValueError:
        threshold = -1.0
    if version is None or not 0 <= threshold <= 1:
        messages.error(request, _("Give a confidence between 0 and 100."))
        return redirect("desk:setup")
    ClassifierVersion.objects.filter(pk=version.pk).update(threshold=threshold)
    messages.success(request, _("Saved."))
    return redirect("desk:setup")
