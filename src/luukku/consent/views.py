"""Staff pages: the purposes and their texts, and a person's consents with the ledger."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from luukku.consent import purposes, services
from luukku.consent.forms import PurposeForm, PurposeTextForm, RecordForm
from luukku.consent.gate import Facts, may_contact
from luukku.consent.models import ConsentRecord, Purpose, Source
from luukku.consent.services import Evidence
from luukku.core.access import Perm, require, staff, units_where
from luukku.core.actions.audit import audit_channel
from luukku.core.models import User
from luukku.customers import access as customer_access
from luukku.customers.actions.parties import record_profile_view
from luukku.customers.models import Person
from luukku.customers.models.parties import Channel


@login_required
def purpose_list(request: HttpRequest) -> HttpResponse:
    actor = staff(request)
    require(actor, Perm.CONSENT_MANAGE)
    rows = Purpose.objects.select_related("org_unit").prefetch_related("texts")
    return render(request, "consent/purposes.html", {"purposes": rows})


@login_required
def purpose_edit(request: HttpRequest, purpose_id: int | None = None) -> HttpResponse:
    """A purpose of a unit the actor manages consent for, and its texts per language."""
    actor = staff(request)
    require(actor, Perm.CONSENT_MANAGE)
    units = units_where(actor, Perm.CONSENT_MANAGE)
    purpose = None
    if purpose_id is not None:
        purpose = Purpose.objects.filter(pk=purpose_id, org_unit__in=units).first()
        if purpose is None:
            return render(request, "consent/not_found.html", status=404)
    chosen = request.POST.get("form", "purpose") if request.method == "POST" else ""
    form = PurposeForm(request.POST if chosen == "purpose" else None, instance=purpose, units=units)
    text_form = PurposeTextForm(request.POST if chosen == "text" else None)
    if chosen == "purpose" and form.is_valid():
        try:
            with audit_channel("web"):
                saved = purposes.save_purpose(form.save(commit=False), by=actor)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("Saved."))
            return redirect("consent:purpose_edit", purpose_id=saved.pk)
    if chosen == "text" and purpose is not None and text_form.is_valid():
        try:
            with audit_channel("web"):
                text = purposes.publish_text(purpose, by=actor, **text_form.cleaned_data)
        except ValidationError as error:
            text_form.add_error(None, error)
        else:
            messages.success(
                request, _("Version %(version)s is the text now.") % {"version": text.version}
            )
            return redirect("consent:purpose_edit", purpose_id=purpose.pk)
    context = {
        "purpose": purpose,
        "form": form,
        "text_form": text_form,
        "texts": purposes.current_texts(purpose) if purpose else [],
    }
    return render(request, "consent/purpose_form.html", context)


def consents_panel(request: HttpRequest, actor: User, person: Person) -> str:
    """On the person's profile: where they stand per purpose and channel, and why."""
    facts = Facts(person)
    rows = [
        {
            "purpose": purpose,
            "channel": Channel(channel).label,
            "answer": may_contact(person, purpose, channel, facts=facts),
        }
        for purpose in Purpose.objects.filter(is_active=True).order_by("name")
        for channel in purpose.channels
    ]
    editable = (
        customer_access.persons_visible_to(actor, Perm.CUSTOMER_EDIT).filter(pk=person.pk).exists()
    )
    context = {
        "person": person,
        "rows": rows,
        "form": RecordForm() if editable else None,
    }
    return render_to_string("consent/_profile_consents.html", context, request=request)


@login_required
def ledger(request: HttpRequest, person_id: int) -> HttpResponse:
    """Every record of the person's consents, newest first, with its evidence."""
    actor = staff(request)
    person = customer_access.person_for_actor(actor, person_id)
    record_profile_view(actor=actor, party=person, via="web")
    records = (
        ConsentRecord.objects.filter(person=person)
        .select_related("purpose", "text", "actor", "confirms")
        .order_by("-occurred_at", "-id")
    )
    return render(request, "consent/ledger.html", {"person": person, "records": records})


@login_required
@require_POST
def record_for_person(request: HttpRequest, person_id: int) -> HttpResponse:
    """A staff member records a grant or withdrawal the customer gave them."""
    actor = staff(request)
    person = customer_access.person_for_actor(actor, person_id, Perm.CUSTOMER_EDIT)
    form = RecordForm(request.POST)
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, str(error))
        return redirect("customers:person", person_id=person.pk)
    data = form.cleaned_data
    evidence = Evidence(
        source=Source.AGENT, actor=actor, details={"note": data["note"]} if data["note"] else {}
    )
    try:
        with audit_channel("web"):
            services.record(
                person, data["purpose"], data["action"], evidence, channels=[data["channel"]]
            )
    except ValidationError as error:
        messages.error(request, "; ".join(error.messages))
    else:
        messages.success(request, _("Recorded in the consent ledger."))
    return redirect("customers:person", person_id=person.pk)
