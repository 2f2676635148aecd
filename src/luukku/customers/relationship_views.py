"""Adding and ending relationships from a profile."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from luukku.core.access import Perm, staff
from luukku.core.actions.audit import audit_channel
from luukku.customers import access
from luukku.customers.actions import relationships as actions
from luukku.customers.models import Organization, Person, RelationshipType
from luukku.customers.search import search


@login_required
def relationship_add(request: HttpRequest, person_id: int) -> HttpResponse:
    """Pick a type, find the other side by name, phone, email or id, and link them."""
    actor = staff(request)
    person = access.person_for_actor(actor, person_id, Perm.CUSTOMER_EDIT)
    types = RelationshipType.objects.all()
    kind = types.filter(code=request.POST.get("type") or request.GET.get("type")).first()
    text = (request.POST.get("other") or "").strip()
    candidates = []
    if request.method == "POST" and kind is not None:
        wanted = "person" if kind.target == RelationshipType.Target.PERSON else "organization"
        chosen = request.POST.get("choice")
        if chosen:
            other: Person | Organization = (
                access.person_for_actor(actor, int(chosen))
                if wanted == "person"
                else access.organization_for_actor(actor, int(chosen))
            )
            try:
                unit, sensitivity = actions.relationship_scope(person, other, None, "normal")
                access.require_write_in(actor, unit, sensitivity)
                with audit_channel("web"):
                    actions.create_relationship(
                        type=kind,
                        person=person,
                        other=other,
                        valid_from=request.POST.get("valid_from") or None,  # type: ignore[arg-type]
                        valid_to=request.POST.get("valid_to") or None,  # type: ignore[arg-type]
                        org_unit=unit,
                        sensitivity=sensitivity,
                        by=actor,
                    )
            except ValidationError as exc:
                messages.error(request, " ".join(exc.messages))
            else:
                messages.success(request, _("Relationship added."))
                return redirect("customers:person", person_id=person.pk)
        candidates = (
            [
                h
                for h in search(actor, text)
                if h.kind == wanted and not (wanted == "person" and h.id == person.pk)
            ]
            if text
            else []
        )
        if text and not candidates:
            messages.error(request, _("Nobody matches “%(text)s”.") % {"text": text})
    return render(
        request,
        "customers/relationship_form.html",
        {"person": person, "types": types, "kind": kind, "other": text, "candidates": candidates},
    )


@login_required
@require_POST
def relationship_remove(request: HttpRequest, person_id: int, relationship_id: int) -> HttpResponse:
    actor = staff(request)
    person = access.person_for_actor(actor, person_id, Perm.CUSTOMER_EDIT)
    rel = get_object_or_404(
        access.relationships_visible_to(actor).select_related("type"), pk=relationship_id
    )
    access.require_write_in(actor, rel.org_unit, rel.sensitivity)
    with audit_channel("web"):
        actions.delete_relationship(rel, by=actor)
    messages.success(request, _("Relationship removed."))
    return redirect("customers:person", person_id=person.pk)
