from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from luukku.core import access
from luukku.core.actions import audit
from luukku.core.models import AuditEntry, Organization
from luukku.web.forms import time_zone_choices
from luukku.web.views.auth import staff

FIELDS = ["name", "country", "time_zone", "language", "records_gender"]


class OrganizationForm(forms.ModelForm):
    class Meta:
        model = Organization
        fields = FIELDS
        widgets = {"time_zone": forms.Select(choices=time_zone_choices())}


@login_required
def organization_settings(request: HttpRequest) -> HttpResponse:
    """The organization's own settings: name, country, time zone, language, what it records."""
    actor = staff(request)
    access.require_organization_admin(actor)
    organization = actor.organization or Organization.objects.first()
    if organization is None:
        return redirect("web:home")
    before = audit.snapshot(organization, FIELDS)
    form = OrganizationForm(request.POST or None, instance=organization)
    if request.method == "POST" and form.is_valid():
        saved = form.save()
        with audit.audit_channel("web"):
            audit.record(
                actor=actor,
                action=AuditEntry.Action.UPDATE,
                obj=saved,
                changes=audit.diff(before, audit.snapshot(saved, FIELDS)),
            )
        messages.success(request, _("Saved."))
        return redirect("web:organization_settings")
    return render(request, "web/organization_settings.html", {"form": form})
