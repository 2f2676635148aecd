from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from luukku.core import access
from luukku.core.access import Perm
from luukku.core.actions import people
from luukku.core.actions.audit import audit_channel
from luukku.web.forms import TeamForm
from luukku.web.views.auth import staff


@login_required
def teams(request: HttpRequest) -> HttpResponse:
    user = staff(request)
    rows = access.teams_visible_to(user).prefetch_related("members")
    manageable = set(access.units_where(user, Perm.TEAM_MANAGE).values_list("pk", flat=True))
    return render(
        request,
        "web/teams.html",
        {"teams": rows, "manageable": manageable, "can_create": bool(manageable)},
    )


@login_required
def team_edit(request: HttpRequest, team_id: int | None = None) -> HttpResponse:
    user = staff(request)
    access.require(user, Perm.TEAM_MANAGE)
    team = access.team_for_actor(user, team_id, Perm.TEAM_MANAGE) if team_id else None
    initial = {}
    if team is not None:
        initial = {"name": team.name, "org_unit": team.org_unit, "members": team.members.all()}
    form = TeamForm(
        request.POST or None,
        initial=initial,
        units=access.units_where(user, Perm.TEAM_MANAGE),
        users=access.users_visible_to(user).filter(is_active=True).order_by("username"),
    )
    if team is not None:
        form.fields["org_unit"].disabled = True
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            with audit_channel("web"):
                if team is None:
                    unit = access.org_unit_for_actor(user, data["org_unit"].pk, Perm.TEAM_MANAGE)
                    people.create_team(
                        org_unit=unit, name=data["name"], members=list(data["members"]), by=user
                    )
                else:
                    people.update_team(
                        team, name=data["name"], members=list(data["members"]), by=user
                    )
        except ValidationError as exc:
            form.add_error(None, exc.messages)
        else:
            messages.success(request, _("Team saved."))
            return redirect("web:teams")
    return render(request, "web/team_form.html", {"form": form, "team": team})


@login_required
@require_POST
def team_delete(request: HttpRequest, team_id: int) -> HttpResponse:
    user = staff(request)
    team = access.team_for_actor(user, team_id, Perm.TEAM_MANAGE)
    with audit_channel("web"):
        people.delete_team(team, by=user)
    messages.success(request, _("Team deleted."))
    return redirect("web:teams")
