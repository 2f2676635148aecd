"""Setting up SLA policies (the list is part of the desk setup page)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from luukku.core.access import Perm, require, staff, units_where, users_visible_to
from luukku.core.actions import audit
from luukku.core.actions.audit import audit_channel
from luukku.core.models import AuditEntry, User
from luukku.customers.models import RelationshipType
from luukku.desk import segment_directory
from luukku.desk.models import (
    CaseChannel,
    Category,
    EscalationStep,
    Priority,
    Queue,
    SlaPolicy,
)
from luukku.desk.sla_policies import save_policy


class SlaPolicyForm(forms.ModelForm[SlaPolicy]):
    """A policy's targets, and its conditions as choices (none chosen: any)."""

    priority = forms.MultipleChoiceField(
        label=gettext_lazy("Priorities"), choices=Priority.choices, required=False
    )
    channel = forms.MultipleChoiceField(
        label=gettext_lazy("Channels"), choices=CaseChannel.choices, required=False
    )
    queue = forms.ModelMultipleChoiceField(
        label=gettext_lazy("Queues"), queryset=Queue.objects.none(), required=False
    )
    category = forms.ModelMultipleChoiceField(
        label=gettext_lazy("Categories"),
        queryset=Category.objects.none(),
        required=False,
        help_text=gettext_lazy("A category includes those below it."),
    )
    relationship = forms.ModelMultipleChoiceField(
        label=gettext_lazy("Customer relationships"),
        queryset=RelationshipType.objects.all(),
        to_field_name="code",
        required=False,
        help_text=gettext_lazy("The customer has one of these, valid today."),
    )
    segment = forms.MultipleChoiceField(
        label=gettext_lazy("Customer segments"),
        required=False,
        help_text=gettext_lazy("The customer is in one of these now."),
    )

    class Meta:
        model = SlaPolicy
        fields = [
            "name",
            "org_unit",
            "position",
            "is_active",
            "first_response_minutes",
            "next_response_minutes",
            "resolution_minutes",
            "warn_at_percent",
        ]

    def __init__(self, *args: Any, actor: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        managed = units_where(actor, Perm.DESK_MANAGE)
        fields: Any = self.fields
        fields["org_unit"].queryset = managed
        fields["queue"].queryset = Queue.objects.filter(org_unit__in=managed)
        fields["category"].queryset = Category.objects.filter(org_unit__in=managed)
        fields["segment"].choices = segment_directory.listed()
        for minutes in ("first_response", "next_response", "resolution"):
            fields[f"{minutes}_minutes"].help_text = _(
                "In business minutes of the case's calendar: 240 is four hours."
            )
        wanted = self.instance.conditions or {}
        self.initial.update(
            {
                "priority": wanted.get("priority", []),
                "channel": wanted.get("channel", []),
                "queue": wanted.get("queue", []),
                "category": wanted.get("category", []),
                "relationship": wanted.get("relationship", []),
                "segment": wanted.get("segment", []),
            }
        )

    def conditions(self) -> dict[str, list[Any]]:
        data = self.cleaned_data
        found = {
            "priority": list(data.get("priority") or []),
            "channel": list(data.get("channel") or []),
            "queue": [q.pk for q in data.get("queue") or []],
            "category": [c.pk for c in data.get("category") or []],
            "relationship": [r.code for r in data.get("relationship") or []],
            "segment": list(data.get("segment") or []),
        }
        return {name: values for name, values in found.items() if values}


@login_required
def policy_edit(request: HttpRequest, policy_id: int | None = None) -> HttpResponse:
    actor = staff(request)
    require(actor, Perm.DESK_MANAGE)
    policies = SlaPolicy.objects.filter(org_unit__in=units_where(actor, Perm.DESK_MANAGE))
    instance = policies.filter(pk=policy_id).first() if policy_id is not None else None
    if policy_id is not None and instance is None:
        return render(request, "desk/not_found.html", status=404)
    form = SlaPolicyForm(request.POST or None, instance=instance, actor=actor)
    if request.method == "POST" and form.is_valid():
        policy = form.save(commit=False)
        policy.conditions = form.conditions()
        try:
            with audit_channel("web"):
                save_policy(policy, by=actor)
        except ValidationError as error:
            form.add_error(None, error.messages)
        else:
            messages.success(request, _("Saved. Open cases' deadlines are being worked out again."))
            return redirect("desk:setup")
    title = str(instance) if instance is not None else _("New SLA policy")
    return render(
        request,
        "desk/sla_policy.html",
        {
            "form": form,
            "title": title,
            "policy": instance,
            "steps": instance.escalations.prefetch_related("notify_users") if instance else [],
            "step_form": EscalationStepForm(actor=actor) if instance else None,
        },
    )


class EscalationStepForm(forms.ModelForm[EscalationStep]):
    class Meta:
        model = EscalationStep
        fields = [
            "on",
            "notify_assignee",
            "notify_supervisors",
            "notify_users",
            "by_email",
            "by_sms",
            "raise_priority",
            "reassign_to",
        ]

    def __init__(self, *args: Any, actor: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        staff_users = users_visible_to(actor).filter(is_active=True)
        fields: Any = self.fields
        fields["notify_users"].queryset = staff_users
        fields["reassign_to"].queryset = staff_users


def _policy(actor: User, policy_id: int) -> SlaPolicy | None:
    require(actor, Perm.DESK_MANAGE)
    managed = units_where(actor, Perm.DESK_MANAGE)
    return SlaPolicy.objects.filter(org_unit__in=managed, pk=policy_id).first()


@login_required
def step_add(request: HttpRequest, policy_id: int) -> HttpResponse:
    actor = staff(request)
    policy = _policy(actor, policy_id)
    if policy is None:
        return render(request, "desk/not_found.html", status=404)
    form = EscalationStepForm(request.POST or None, actor=actor)
    if request.method == "POST" and form.is_valid():
        step = form.save(commit=False)
        step.policy = policy
        with audit_channel("web"), transaction.atomic():
            step.save()
            form.save_m2m()
            audit.record(
                actor=actor,
                action=AuditEntry.Action.CREATE,
                obj=step,
                org_unit=policy.org_unit,
                changes={"step": [None, str(step)]},
            )
        messages.success(request, _("Escalation step added."))
    elif request.method == "POST":
        messages.error(request, " ".join(str(e) for errs in form.errors.values() for e in errs))
    return redirect("desk:sla_policy_edit", policy_id=policy.pk)


@login_required
def step_remove(request: HttpRequest, policy_id: int, step_id: int) -> HttpResponse:
    actor = staff(request)
    policy = _policy(actor, policy_id)
    if policy is None:
        return render(request, "desk/not_found.html", status=404)
    step = policy.escalations.filter(pk=step_id).first()
    if request.method == "POST" and step is not None:
        with audit_channel("web"), transaction.atomic():
            audit.record(
                actor=actor,
                action=AuditEntry.Action.DELETE,
                obj=step,
                org_unit=policy.org_unit,
                changes={"step": [str(step), None]},
            )
            step.delete()
        messages.success(request, _("Escalation step removed."))
    return redirect("desk:sla_policy_edit", policy_id=policy.pk)
