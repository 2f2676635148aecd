"""Setting up skills: what each needs (categories, a language) and who has it, how well."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from luukku.core.access import Perm, require, staff, units_where, users_visible_to
from luukku.core.models import User
from luukku.desk.models import AgentSkill, Category, Skill


class SkillForm(forms.ModelForm[Skill]):
    class Meta:
        model = Skill
        fields = ["name", "language", "categories"]

    def __init__(self, *args: Any, actor: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        categories: Any = self.fields["categories"]
        categories.queryset = Category.objects.filter(
            org_unit__in=units_where(actor, Perm.DESK_MANAGE)
        )


class AgentSkillForm(forms.ModelForm[AgentSkill]):
    class Meta:
        model = AgentSkill
        fields = ["user", "level"]

    def __init__(self, *args: Any, actor: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        users: Any = self.fields["user"]
        users.queryset = users_visible_to(actor).filter(is_active=True)


@login_required
def skill_edit(request: HttpRequest, skill_id: int | None = None) -> HttpResponse:
    actor = staff(request)
    require(actor, Perm.DESK_MANAGE)
    skill = Skill.objects.filter(pk=skill_id).first() if skill_id else None
    if skill_id is not None and skill is None:
        return render(request, "desk/not_found.html", status=404)
    form = SkillForm(
        request.POST if request.POST.get("form") == "skill" else None, instance=skill, actor=actor
    )
    agent_form = AgentSkillForm(
        request.POST if request.POST.get("form") == "agent" else None, actor=actor
    )
    if form.is_bound and form.is_valid():
        skill = form.save()
        messages.success(request, _("Saved."))
        return redirect("desk:skill_edit", skill_id=skill.pk)
    if skill is not None and agent_form.is_bound and agent_form.is_valid():
        AgentSkill.objects.update_or_create(
            user=agent_form.cleaned_data["user"],
            skill=skill,
            defaults={"level": agent_form.cleaned_data["level"]},
        )
        messages.success(request, _("Saved."))
        return redirect("desk:skill_edit", skill_id=skill.pk)
    if skill is not None and request.POST.get("form") == "remove":
        ident = request.POST.get("agent_skill", "")
        if ident.isdigit():
            AgentSkill.objects.filter(skill=skill, pk=int(ident)).delete()
        return redirect("desk:skill_edit", skill_id=skill.pk)
    return render(
        request,
        "desk/skill.html",
        {
            "title": str(skill) if skill else _("New skill"),
            "form": form,
            "skill": skill,
            "agents": skill.agents.select_related("user").order_by("-level") if skill else [],
            "agent_form": agent_form,
        },
    )
