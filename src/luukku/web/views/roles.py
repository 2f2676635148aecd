from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from luukku.core.access import PERM_LABELS, ROLE_PERMISSIONS, Perm
from luukku.core.models import Role


@login_required
def role_matrix(request: HttpRequest) -> HttpResponse:
    """What each role may do; a role applies in its org unit and every unit below."""
    roles = list(Role.choices)
    rows = [
        (PERM_LABELS[perm], [perm in ROLE_PERMISSIONS[role] for role, _label in roles])
        for perm in Perm
    ]
    return render(request, "web/roles.html", {"roles": roles, "rows": rows})
