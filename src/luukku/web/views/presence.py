from __future__ import annotations

import datetime

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from luukku.core import access, filters
from luukku.core.access import Perm
from luukku.core.actions.audit import audit_channel
from luukku.core.actions.presence import set_presence
from luukku.web.forms import PresenceForm
from luukku.web.views.auth import staff


@login_required
def presence_board(request: HttpRequest) -> HttpResponse:
    user = staff(request)
    units = access.units_where(user, Perm.PRESENCE_VIEW)
    unit_id = request.GET.get("org_unit")
    unit = units.filter(pk=unit_id).first() if unit_id and unit_id.isdigit() else None
    rows = (
        filters.filter_users(access.users_visible_to(user, Perm.PRESENCE_VIEW), org_unit=unit)
        .filter(is_active=True)
        .prefetch_related("absences")
        .order_by("presence", "username")
    )
    today = timezone.localdate()
    board = [
        {
            "user": u,
            "absence": next(
                (a for a in u.absences.all() if a.starts_on <= today <= a.ends_on), None
            ),
        }
        for u in rows
    ]
    return render(
        request,
        "web/presence.html",
        {
            "board": board,
            "units": units,
            "unit": unit,
            "today": today,
            "stale_after": datetime.timedelta(minutes=10),
        },
    )


@login_required
@require_POST
def presence_set(request: HttpRequest) -> HttpResponse:
    user = staff(request)
    form = PresenceForm(request.POST)
    if form.is_valid():
        with audit_channel("web"):
            set_presence(user, presence=form.cleaned_data["presence"], by=user)
    if request.htmx:  # type: ignore[attr-defined]
        return render(request, "web/_presence_toggle.html", {"user": user})
    target = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        target = reverse("web:home")
    return redirect(target)
