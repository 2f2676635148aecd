from __future__ import annotations

import datetime

from django.contrib.auth.decorators import login_required
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from luukku.core import access
from luukku.core.access import Perm
from luukku.core.models import AuditEntry
from luukku.core.paging import list_page
from luukku.web.forms import AuditFilterForm
from luukku.web.views.auth import staff


@login_required
def audit_log(request: HttpRequest) -> HttpResponse:
    """Administrators see entries of their units; organization administrators see all."""
    user = staff(request)
    access.require(user, Perm.AUDIT_VIEW)
    entries = AuditEntry.objects.select_related("org_unit")
    if not access.is_organization_admin(user):
        entries = entries.filter(org_unit__in=access.units_where(user, Perm.AUDIT_VIEW))
    entries = entries.filter(
        Q(sensitivity="normal") | Q(org_unit__in=access.units_for_restricted(user, Perm.AUDIT_VIEW))
    )
    form = AuditFilterForm(request.GET or None)
    if form.is_valid():
        data = form.cleaned_data
        if data["actor"]:
            entries = entries.filter(actor_name__icontains=data["actor"])
        if data["action"]:
            entries = entries.filter(action=data["action"])
        if data["object_type"]:
            entries = entries.filter(object_type__icontains=data["object_type"])
        if data["object_id"]:
            entries = entries.filter(object_id=data["object_id"])
        tz = timezone.get_current_timezone()
        if data["since"]:
            start = datetime.datetime.combine(data["since"], datetime.time.min, tzinfo=tz)
            entries = entries.filter(at__gte=start)
        if data["until"]:
            end = datetime.datetime.combine(data["until"], datetime.time.max, tzinfo=tz)
            entries = entries.filter(Q(at__lte=end))
    page = list_page(entries, request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request, "web/audit.html", {"form": form, "page": page, "query": query.urlencode()}
    )
