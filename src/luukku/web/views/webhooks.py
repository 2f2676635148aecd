from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from luukku.core import access, webhooks
from luukku.core.actions import audit
from luukku.core.models import OrgUnit, WebhookEndpoint
from luukku.web.views.auth import staff


class WebhookForm(forms.Form):
    url = forms.URLField(label=gettext_lazy("URL"), max_length=500, assume_scheme="https")
    description = forms.CharField(label=gettext_lazy("Description"), max_length=200, required=False)
    events = forms.MultipleChoiceField(
        label=gettext_lazy("Events (none: all)"),
        choices=[(e, e) for e in webhooks.EVENTS],
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    org_unit = forms.ModelChoiceField(
        label=gettext_lazy("Org unit (for restricted records)"),
        queryset=OrgUnit.objects.all(),
        required=False,
    )


@login_required
def webhook_list(request: HttpRequest) -> HttpResponse:
    actor = staff(request)
    access.require_organization_admin(actor)
    form = WebhookForm(request.POST or None)
    secret = None
    if (
        request.method == "POST"
        and form.is_valid()
        and form.cleaned_data["org_unit"] is not None
        and not webhooks.may_receive_restricted(actor, form.cleaned_data["org_unit"])
    ):
        form.add_error("org_unit", _("Only staff of the unit may receive its restricted records."))
    if request.method == "POST" and form.is_valid():
        with audit.audit_channel("web"):
            endpoint = webhooks.create_endpoint(
                url=form.cleaned_data["url"],
                description=form.cleaned_data["description"],
                events=form.cleaned_data["events"],
                org_unit=form.cleaned_data["org_unit"],
                by=actor,
            )
        secret = endpoint.secret
        form = WebhookForm()
    return render(
        request,
        "web/webhooks.html",
        {
            "form": form,
            "secret": secret,
            "endpoints": WebhookEndpoint.objects.all(),
            "deliveries": webhooks.visible_deliveries(actor).select_related("endpoint")[:50],
        },
    )


@login_required
@require_POST
def webhook_delete(request: HttpRequest, webhook_id: int) -> HttpResponse:
    actor = staff(request)
    access.require_organization_admin(actor)
    endpoint = get_object_or_404(WebhookEndpoint, pk=webhook_id)
    if endpoint.org_unit is not None and not webhooks.may_receive_restricted(
        actor, endpoint.org_unit
    ):
        raise access.AccessDenied(_("Only staff of the unit may receive its restricted records."))
    with audit.audit_channel("web"):
        webhooks.delete_endpoint(endpoint, by=actor)
    messages.success(request, _("Webhook removed."))
    return redirect("web:webhooks")
