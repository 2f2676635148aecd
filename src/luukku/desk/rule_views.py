"""Setting up routing rules, and trying one on an existing case before enabling it."""

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
from luukku.core.models import AuditEntry, Team, User
from luukku.desk import access, rules
from luukku.desk.models import (
    Case,
    Category,
    Priority,
    Queue,
    RoutingRule,
    SlaPolicy,
    StandardAnswer,
)

RULE_FIELDS = (
    "name",
    "org_unit",
    "position",
    "is_active",
    "trigger",
    "match",
    "stop",
    "conditions",
    "actions",
)


def parse_conditions(text: str) -> list[dict[str, Any]]:
    """One condition a line: "field operator value", e.g. "subject contains leak";
    the values of "in" and "not_in" are separated by commas."""
    conditions = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        parts = line.strip().split(None, 2)
        if len(parts) < 2:
            raise ValidationError(
                _("Line %(n)s: write a field, an operator and a value.") % {"n": number}
            )
        name, op, value = parts[0], parts[1], parts[2] if len(parts) > 2 else ""
        parsed: Any = value
        if op in ("in", "not_in") or name in rules.SET_FIELDS:
            parsed = [_number_or_text(v.strip()) for v in value.split(",") if v.strip()]
        elif name == "weekday":
            parsed = _number_or_text(value)
        conditions.append({"field": name, "op": op, "value": parsed})
    return conditions


def _number_or_text(value: str) -> Any:
    return int(value) if value.isdigit() else value


def format_conditions(conditions: list[dict[str, Any]]) -> str:
    lines = []
    for c in conditions:
        value = c.get("value")
        shown = ", ".join(str(v) for v in value) if isinstance(value, list) else value
        lines.append(f"{c.get('field')} {c.get('op')} {shown if shown is not None else ''}".strip())
    return "\n".join(lines)


class RuleForm(forms.ModelForm[RoutingRule]):
    condition_lines = forms.CharField(
        label=gettext_lazy("Conditions"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 6, "spellcheck": "false"}),
        help_text=gettext_lazy(
            "One a line: field, operator, value. Fields: channel, mailbox, sender, "
            "sender_domain, subject, body, text, language, category, priority, queue, "
            "time, weekday, relationship, segment, customer.<field>, customer.custom.<key>. "
            "Operators: is, is_not, in, not_in, contains, not_contains, starts_with, "
            "ends_with, matches (a regular expression), between (08:00-16:00), exists, "
            "missing. Example: sender_domain is example.com"
        ),
    )
    queue = forms.ModelChoiceField(
        label=gettext_lazy("Move to queue"),
        queryset=Queue.objects.none(),
        required=False,
        to_field_name="slug",
    )
    priority = forms.ChoiceField(
        label=gettext_lazy("Set priority"), choices=[("", "—"), *Priority.choices], required=False
    )
    category = forms.ModelChoiceField(
        label=gettext_lazy("Set category"), queryset=Category.objects.none(), required=False
    )
    tags = forms.CharField(label=gettext_lazy("Add tags"), required=False)
    sla_policy = forms.ModelChoiceField(
        label=gettext_lazy("Use SLA policy"), queryset=SlaPolicy.objects.none(), required=False
    )
    assign_user = forms.ModelChoiceField(
        label=gettext_lazy("Assign to"),
        queryset=User.objects.none(),
        required=False,
        to_field_name="username",
    )
    assign_team = forms.ModelChoiceField(
        label=gettext_lazy("Assign within team"),
        queryset=Team.objects.none(),
        required=False,
        help_text=gettext_lazy("To the team's member the queue's assignment picks."),
    )
    answer = forms.ModelChoiceField(
        label=gettext_lazy("Answer with"), queryset=StandardAnswer.objects.none(), required=False
    )

    class Meta:
        model = RoutingRule
        fields = ["name", "org_unit", "position", "is_active", "trigger", "match", "stop"]

    def __init__(self, *args: Any, actor: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        managed = units_where(actor, Perm.DESK_MANAGE)
        fields: Any = self.fields
        fields["org_unit"].queryset = managed
        fields["queue"].queryset = Queue.objects.filter(org_unit__in=managed, is_active=True)
        fields["category"].queryset = Category.objects.filter(org_unit__in=managed)
        fields["sla_policy"].queryset = SlaPolicy.objects.filter(org_unit__in=managed)
        fields["assign_user"].queryset = users_visible_to(actor).filter(is_active=True)
        fields["assign_team"].queryset = Team.objects.filter(org_unit__in=managed)
        fields["answer"].queryset = StandardAnswer.objects.filter(org_unit__in=managed)
        rule = self.instance
        acts = rule.actions or {}
        self.initial.update(
            {
                "condition_lines": format_conditions(rule.conditions or []),
                "tags": ", ".join(acts.get("tags", [])),
                **{k: v for k, v in acts.items() if k != "tags"},
            }
        )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        try:
            self.instance.conditions = parse_conditions(data.get("condition_lines") or "")
        except ValidationError as error:
            self.add_error("condition_lines", error)
        chosen: dict[str, Any] = {}
        for name in ("queue", "assign_user"):
            if data.get(name):
                chosen[name] = getattr(data[name], "slug", None) or data[name].get_username()
        for name in ("category", "sla_policy", "assign_team", "answer"):
            if data.get(name):
                chosen[name] = data[name].pk
        if data.get("priority"):
            chosen["priority"] = data["priority"]
        tags = [t.strip() for t in (data.get("tags") or "").split(",") if t.strip()]
        if tags:
            chosen["tags"] = tags
        self.instance.actions = chosen
        return data


def _managed_rules(actor: User) -> Any:
    require(actor, Perm.DESK_MANAGE)
    return RoutingRule.objects.filter(org_unit__in=units_where(actor, Perm.DESK_MANAGE))


@login_required
def rule_edit(request: HttpRequest, rule_id: int | None = None) -> HttpResponse:
    actor = staff(request)
    instance = _managed_rules(actor).filter(pk=rule_id).first() if rule_id else None
    if rule_id is not None and instance is None:
        return render(request, "desk/not_found.html", status=404)
    form = RuleForm(request.POST or None, instance=instance, actor=actor)
    if request.method == "POST" and form.is_valid():
        rule = form.save(commit=False)
        try:
            save_rule(rule, by=actor)
        except ValidationError as error:
            form.add_error(None, error.messages)
        else:
            messages.success(request, _("Rule saved."))
            return redirect("desk:rule_edit", rule_id=rule.pk)
    trial = _trial(request, actor, instance)
    title = str(instance) if instance is not None else _("New routing rule")
    return render(
        request,
        "desk/rule.html",
        {"form": form, "title": title, "rule": instance, "trial": trial},
    )


@transaction.atomic
def save_rule(rule: RoutingRule, *, by: User) -> RoutingRule:
    """Check the rule and save it, with its audit entry."""
    rules.check_rule(rule)
    created = rule.pk is None
    before = {} if created else audit.snapshot(RoutingRule.objects.get(pk=rule.pk), RULE_FIELDS)
    rule.full_clean()
    with audit_channel("web"):
        rule.save()
        audit.record(
            actor=by,
            action=AuditEntry.Action.CREATE if created else AuditEntry.Action.UPDATE,
            obj=rule,
            org_unit=rule.org_unit,
            changes=audit.diff(before, audit.snapshot(rule, RULE_FIELDS)),
        )
    return rule


def _trial(request: HttpRequest, actor: User, rule: RoutingRule | None) -> dict[str, Any] | None:
    """ "What would happen" for a case the actor may see: each condition's answer and
    the actions the rule would take; nothing is changed."""
    number = request.GET.get("case", "")
    if rule is None or not number.isdigit():
        return None
    case = access.cases_visible_to(actor).filter(number=int(number)).first()
    if case is None:
        return {"error": _("No case %(number)s that you may see.") % {"number": number}}
    case = Case.objects.select_related("queue", "org_unit", "person").get(pk=case.pk)
    facts = rules.facts_for(case)
    compiled = rules.compile_rule(rule)
    return {
        "case": case,
        "conditions": [
            (format_conditions([c]), test(facts))
            for c, test in zip(rule.conditions, compiled.predicates, strict=True)
        ],
        "in_unit": case.org_unit.path.startswith(rule.org_unit.path),
        "meets": compiled.meets(facts) and case.org_unit.path.startswith(rule.org_unit.path),
        "actions": rule.actions,
    }
