"""Administration of the customer schema: custom fields, relationship types, source systems."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import models, transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from luukku.core.access import Perm, require, staff
from luukku.core.actions import audit
from luukku.core.models import AuditEntry, User
from luukku.customers import access
from luukku.customers.models import CustomField, RelationshipType, Sensitivity, SourceSystem
from luukku.customers.schema_forms import CustomFieldForm, RelationshipTypeForm, SourceSystemForm

KINDS: dict[str, tuple[type[models.Model], Any, Any]] = {
    "fields": (CustomField, CustomFieldForm, gettext_lazy("Custom fields")),
    "relationship-types": (
        RelationshipType,
        RelationshipTypeForm,
        gettext_lazy("Relationship types"),
    ),
    "sources": (SourceSystem, SourceSystemForm, gettext_lazy("Source systems")),
}


def _admin(request: HttpRequest) -> User:
    user = staff(request)
    require(user, Perm.CUSTOMER_SCHEMA)
    return user


@login_required
def schema_overview(request: HttpRequest) -> HttpResponse:
    _admin(request)
    return render(
        request,
        "customers/schema.html",
        {
            "sections": [
                (slug, title, model.objects.all())  # type: ignore[attr-defined]
                for slug, (model, _form, title) in KINDS.items()
            ]
        },
    )


@login_required
def schema_edit(request: HttpRequest, kind: str, pk: int | None = None) -> HttpResponse:
    actor = _admin(request)
    if kind not in KINDS:
        raise Http404
    model, form_class, title = KINDS[kind]
    instance = get_object_or_404(model, pk=pk) if pk else None
    if isinstance(instance, CustomField) and instance.sensitivity == Sensitivity.RESTRICTED:
        # Only staff of its unit may touch a restricted field (making it public included).
        access.require_write_in(actor, instance.org_unit, Sensitivity.RESTRICTED)
    form = form_class(request.POST or None, instance=instance)
    if (
        request.method == "POST"
        and form.is_valid()
        and model is CustomField
        and form.cleaned_data.get("sensitivity") == Sensitivity.RESTRICTED
        and not access.may_write_in(
            actor, form.cleaned_data.get("org_unit"), Sensitivity.RESTRICTED
        )
    ):
        form.add_error("org_unit", _("You may define restricted fields only for your own unit."))
    if request.method == "POST" and form.is_valid():
        fields = list(form.cleaned_data)
        before = audit.snapshot(instance, fields) if instance else {}
        with transaction.atomic(), audit.audit_channel("web"):
            saved = form.save()
            audit.record(
                actor=actor,
                action=AuditEntry.Action.UPDATE if instance else AuditEntry.Action.CREATE,
                obj=saved,
                changes=audit.diff(before, audit.snapshot(saved, fields)),
            )
        messages.success(request, _("Saved."))
        return redirect("customers:schema")
    return render(
        request, "customers/schema_form.html", {"form": form, "title": title, "instance": instance}
    )
