from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from luukku.core import access
from luukku.core.access import Perm
from luukku.web.views.auth import staff


@login_required
def home(request: HttpRequest) -> HttpResponse:
    user = staff(request)
    memberships = user.memberships.select_related("org_unit").order_by(
        "-is_primary", "org_unit__path"
    )
    return render(
        request,
        "web/home.html",
        {
            "memberships": memberships,
            "teams": user.teams.select_related("org_unit"),
            "units": access.units_where(user, Perm.ORG_UNIT_VIEW),
        },
    )
