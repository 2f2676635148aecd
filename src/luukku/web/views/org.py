from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from luukku.core import access
from luukku.core.access import Perm
from luukku.core.actions import org as org_actions
from luukku.core.actions.audit import audit_channel
from luukku.core.models import OrgUnit
from luukku.web.forms import OrgUnitForm
from luukku.web.views.auth import staff


@login_required
def org_units(request: HttpRequest) -> HttpResponse:
    user = staff(request)
    units = access.units_where(user, Perm.ORG_UNIT_VIEW).select_related("parent")
    manageable = set(access.units_where(user, Perm.ORG_UNIT_MANAGE).values_list("pk", flat=True))
    return render(
        request,
        "web/org_units.html",
        {
            "units": units,
            "manageable": manageable,
            "can_create": bool(manageable),
            "is_org_admin": access.is_organization_admin(user),
        },
    )


@login_required
def org_unit_edit(request: HttpRequest, unit_id: int | None = None) -> HttpResponse:
    user = staff(request)
    unit = access.org_unit_for_actor(user, unit_id, Perm.ORG_UNIT_MANAGE) if unit_id else None
    access.require(user, Perm.ORG_UNIT_MANAGE)
    parents = access.units_where(user, Perm.ORG_UNIT_MANAGE)
    if unit is not None:
        # A unit moves only below units the user manages, never below itself; staying
        # where it is is always allowed (a sub-unit admin editing their own top unit).
        parents = parents.exclude(path__startswith=unit.path)
        if unit.parent_id:
            parents = (parents | OrgUnit.objects.filter(pk=unit.parent_id)).distinct()
    initial: dict[str, Any] = {"time_zone": "Europe/Oslo", "language": "nb"}
    if unit is not None:
        initial = {
            "name": unit.name,
            "slug": unit.slug,
            "parent": unit.parent,
            "time_zone": unit.time_zone,
            "language": unit.language,
        }
    elif request.GET.get("parent"):
        initial["parent"] = request.GET["parent"]
    form = OrgUnitForm(request.POST or None, initial=initial, parents=parents)
    if unit is not None and unit.parent is None:
        form.fields["parent"].required = False
        form.fields["parent"].disabled = True
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            with audit_channel("web"):
                if unit is None:
                    parent = access.org_unit_for_actor(
                        user, data["parent"].pk, Perm.ORG_UNIT_MANAGE
                    )
                    org_actions.create_org_unit(
                        organization=parent.organization,
                        parent=parent,
                        name=data["name"],
                        slug=data["slug"],
                        time_zone=data["time_zone"],
                        language=data["language"],
                        by=user,
                    )
                    messages.success(request, _("Org unit created."))
                else:
                    changes = {k: data[k] for k in ("name", "slug", "time_zone", "language")}
                    if unit.parent is not None and data["parent"] != unit.parent:
                        changes["parent"] = data["parent"]
                    org_actions.update_org_unit(unit, changes=changes, by=user)
                    messages.success(request, _("Org unit saved."))
            return redirect("web:org_units")
        except (ValidationError, org_actions.OrgTreeError) as exc:
            form.add_error(None, exc.messages if isinstance(exc, ValidationError) else str(exc))
    return render(request, "web/org_unit_form.html", {"form": form, "unit": unit})
