"""Staff pages for customers: search, the person list, the 360° profile, create and edit."""

from __future__ import annotations

import datetime
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _

from luukku.core.access import Perm, can, require, staff, units_where
from luukku.core.actions import audit
from luukku.core.actions.audit import audit_channel
from luukku.core.models import AuditEntry, OrgUnit, User
from luukku.core.paging import list_page
from luukku.customers import access, export, filters, profile_panels
from luukku.customers.actions import parties as actions
from luukku.customers.actions.contacts import ContactChanges
from luukku.customers.api.schemas import PARTY_PREFETCH
from luukku.customers.forms import PersonForm, TimelineFilterForm
from luukku.customers.models import CustomField, Organization, Person
from luukku.customers.search import search
from luukku.customers.timeline_query import BadCursor, TimelineFilter, timeline_page

TIMELINE_PAGE = 25

ICONS = {
    "housing": "⌂",
    "health": "✚",
    "fitness": "◆",
    "dining": "◉",
    "kindergarten": "☺",
    "sis": "✎",
    "finance": "€",
    "luukku": "•",
}


@login_required
def customer_search(request: HttpRequest) -> HttpResponse:
    actor = staff(request)
    require(actor, Perm.CUSTOMER_VIEW)
    text = request.GET.get("q", "").strip()
    hits = search(actor, text) if text else []
    if len(hits) == 1 and hits[0].matched != "name" and hits[0].kind == "person":
        return redirect("customers:person", person_id=hits[0].id)
    return render(request, "customers/search.html", {"q": text, "hits": hits})


@login_required
def person_list(request: HttpRequest) -> HttpResponse:
    actor = staff(request)
    require(actor, Perm.CUSTOMER_VIEW)
    unit_id = request.GET.get("org_unit")
    persons = filters.filter_persons(
        access.persons_visible_to(actor),
        q=request.GET.get("q") or None,
        email=request.GET.get("email") or None,
        phone=request.GET.get("phone") or None,
        source=request.GET.get("source") or None,
        org_unit_id=int(unit_id) if unit_id and unit_id.isdigit() else None,
    ).prefetch_related("emailaddresss", "phonenumbers")
    page = list_page(persons.order_by("last_name", "first_name", "pk"), request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "customers/person_list.html",
        {
            "page": page,
            "query": query.urlencode(),
            "units": OrgUnit.objects.all(),
            "can_create": can(actor, Perm.CUSTOMER_EDIT),
            "can_export": can(actor, Perm.CUSTOMER_EXPORT),
            "can_import": can(actor, Perm.CUSTOMER_IMPORT),
        },
    )


def _timeline_filter(request: HttpRequest) -> tuple[TimelineFilterForm, TimelineFilter]:
    form = TimelineFilterForm(request.GET or None)
    form.fields["org_unit"].widget.choices = [("", "—")] + [
        (u.pk, u.name) for u in OrgUnit.objects.all()
    ]
    if not form.is_valid():
        return form, TimelineFilter()
    data = form.cleaned_data
    tz = timezone.get_current_timezone()

    def start(day: datetime.date | None) -> datetime.datetime | None:
        return datetime.datetime.combine(day, datetime.time.min, tzinfo=tz) if day else None

    until = data["until"] + datetime.timedelta(days=1) if data["until"] else None
    return form, TimelineFilter(
        type=data["type"] or None,
        org_unit_id=data["org_unit"],
        source=data["source"] or None,
        since=start(data["since"]),
        until=start(until),
    )


def _timeline_rows(events: list[Any]) -> list[dict[str, Any]]:
    rows = []
    for event in events:
        namespace, _dot, name = event.type.partition(".")
        rows.append(
            {
                "event": event,
                "icon": ICONS.get(namespace, "•"),
                "namespace": namespace,
                "name": name.replace("_", " "),
            }
        )
    return rows


def _timeline_context(request: HttpRequest, actor: User, person: Person) -> dict[str, Any]:
    form, timeline_filter = _timeline_filter(request)
    try:
        events, cursor = timeline_page(
            access.events_visible_to(actor, person),
            cursor=request.GET.get("cursor") or None,
            limit=TIMELINE_PAGE,
            filters=timeline_filter,
        )
    except BadCursor:
        events, cursor = [], None
    query = request.GET.copy()
    query.pop("cursor", None)
    return {
        "timeline": _timeline_rows(events),
        "next_cursor": cursor,
        "timeline_query": query.urlencode(),
        "filter_form": form,
        "person": person,
    }


def shown_value(value: object) -> str:
    """A custom field value as a person reads it."""
    if isinstance(value, bool):
        return _("Yes") if value else _("No")
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    return str(value)


def _custom_rows(party: Person | Organization, fields: list[CustomField]) -> list[tuple[str, str]]:
    return [(f.label, shown_value(party.custom[f.key])) for f in fields if f.key in party.custom]


def _identities(party: Person | Organization) -> list[tuple[str, str, str]]:
    return [
        (i.source.name, i.external_id, i.source.link_for(i.external_id))
        for i in party.identities.all()
    ]


def _relationship_rows(actor: User, person: Person) -> list[dict[str, Any]]:
    rows = []
    relationships = (
        access.relationships_visible_to(actor)
        .filter(Q(person=person) | Q(other_person=person))
        .select_related("type", "person", "other_person", "other_organization")
        .order_by("type__code", "pk")
    )
    for rel in relationships:
        if rel.person_id == person.pk:
            other: Person | Organization | None = rel.other_person or rel.other_organization
            label = rel.type.label
        else:
            other, label = rel.person, rel.type.reverse_label
        rows.append(
            {"rel": rel, "label": label, "other": other, "is_person": isinstance(other, Person)}
        )
    return rows


@login_required
def person_profile(request: HttpRequest, person_id: int) -> HttpResponse:
    actor = staff(request)
    person = access.person_for_actor(actor, person_id)
    actions.record_profile_view(actor=actor, party=person, via="web")
    person = (
        Person.objects.prefetch_related(*PARTY_PREFETCH)
        .select_related("org_unit")
        .get(pk=person.pk)
    )
    fields = access.custom_fields_visible_to(actor, CustomField.Entity.PERSON)
    return render(
        request,
        "customers/profile.html",
        {
            **_timeline_context(request, actor, person),
            "custom": _custom_rows(person, fields),
            "identities": _identities(person),
            "relationships": _relationship_rows(actor, person),
            "panels": profile_panels.rendered(request, actor, person),
            "can_edit": access.persons_visible_to(actor, Perm.CUSTOMER_EDIT)
            .filter(pk=person.pk)
            .exists(),
        },
    )


@login_required
def person_timeline(request: HttpRequest, person_id: int) -> HttpResponse:
    """The next timeline page (for infinite scroll and the "older" link)."""
    actor = staff(request)
    person = access.person_for_actor(actor, person_id)
    template = "customers/_timeline_items.html" if request.htmx else "customers/timeline_page.html"  # type: ignore[attr-defined]
    return render(request, template, _timeline_context(request, actor, person))


def _person_form(
    request: HttpRequest, actor: User, *, creating: bool, initial: dict[str, Any]
) -> PersonForm:
    return PersonForm(
        request.POST or None,
        initial=initial,
        units=units_where(actor, Perm.CUSTOMER_EDIT),
        custom_fields=access.custom_fields_visible_to(actor, CustomField.Entity.PERSON),
        creating=creating,
    )


def _contacts(form: PersonForm) -> ContactChanges | None:
    data = form.cleaned_data
    emails = [{"address": data["email"], "is_primary": True}] if data["email"] else None
    phones = [{"number": data["phone"], "is_primary": True}] if data["phone"] else None
    addresses = None
    if data["street"] or data["postal_code"] or data["city"]:
        addresses = [
            {
                "street": data["street"],
                "postal_code": data["postal_code"],
                "city": data["city"],
                "is_primary": True,
            }
        ]
    if not (emails or phones or addresses):
        return None
    return ContactChanges(emails=emails, phones=phones, addresses=addresses)


@login_required
def person_create(request: HttpRequest) -> HttpResponse:
    actor = staff(request)
    require(actor, Perm.CUSTOMER_EDIT)
    form = _person_form(request, actor, creating=True, initial={})
    if request.method == "POST" and form.is_valid():
        unit = form.cleaned_data["org_unit"]
        sensitivity = form.cleaned_data["sensitivity"]
        if not access.may_write_in(actor, unit, sensitivity):
            form.add_error("org_unit", _("You may not write customer data for this org unit."))
        else:
            try:
                with audit_channel("web"):
                    outcome = actions.create_party(
                        Person,
                        values=form.values(),
                        custom=form.custom_values(),
                        contacts=_contacts(form),
                        org_unit=unit,
                        sensitivity=sensitivity,
                        by=actor,
                    )
            except ValidationError as exc:
                form.add_action_errors(exc)
            else:
                messages.success(request, _("Person created."))
                return redirect("customers:person", person_id=outcome.party.pk)
    return render(request, "customers/person_form.html", {"form": form, "person": None})


@login_required
def person_edit(request: HttpRequest, person_id: int) -> HttpResponse:
    actor = staff(request)
    person = access.person_for_actor(actor, person_id, Perm.CUSTOMER_EDIT)
    email = person.emailaddresss.first()
    phone = person.phonenumbers.first()
    address = person.postaladdresss.first()
    initial = {
        **{name: getattr(person, name) for name in PersonForm.VALUE_FIELDS},
        **{f"custom_{key}": value for key, value in person.custom.items()},
        "email": email.address if email else "",
        "phone": phone.number if phone else "",
        "street": address.street if address else "",
        "postal_code": address.postal_code if address else "",
        "city": address.city if address else "",
    }
    form = _person_form(request, actor, creating=False, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            with audit_channel("web"):
                actions.update_party(
                    person,
                    values=form.values(),
                    custom=form.custom_values(),
                    contacts=_contacts(form),
                    replace_contacts=False,
                    by=actor,
                )
        except ValidationError as exc:
            form.add_action_errors(exc)
        else:
            messages.success(request, _("Saved."))
            return redirect("customers:person", person_id=person.pk)
    return render(request, "customers/person_form.html", {"form": form, "person": person})


@login_required
def organization_profile(request: HttpRequest, organization_id: int) -> HttpResponse:
    actor = staff(request)
    organization = access.organization_for_actor(actor, organization_id)
    actions.record_profile_view(actor=actor, party=organization, via="web")
    organization = Organization.objects.prefetch_related(*PARTY_PREFETCH).get(pk=organization.pk)
    members = (
        access.relationships_visible_to(actor)
        .filter(other_organization=organization)
        .select_related("type", "person")
        .order_by("type__code", "person__last_name")[:200]
    )
    fields = access.custom_fields_visible_to(actor, CustomField.Entity.ORGANIZATION)
    return render(
        request,
        "customers/organization.html",
        {
            "organization": organization,
            "identities": _identities(organization),
            "members": members,
            "custom": _custom_rows(organization, fields),
        },
    )


@login_required
def person_export(request: HttpRequest) -> HttpResponse | StreamingHttpResponse:
    """The person list as filtered on the list page, as CSV (streamed) or XLSX."""
    actor = staff(request)
    require(actor, Perm.CUSTOMER_EXPORT)
    unit_id = request.GET.get("org_unit")
    persons = filters.filter_persons(
        access.persons_visible_to(actor),
        q=request.GET.get("q") or None,
        email=request.GET.get("email") or None,
        phone=request.GET.get("phone") or None,
        source=request.GET.get("source") or None,
        org_unit_id=int(unit_id) if unit_id and unit_id.isdigit() else None,
    )
    fmt = "xlsx" if request.GET.get("format") == "xlsx" else "csv"
    with audit_channel("web"):
        audit.record(
            actor=actor,
            action=AuditEntry.Action.EXPORT,
            obj=actor,
            changes={
                "persons": [None, persons.count()],
                "format": [None, fmt],
                "filters": [None, request.GET.urlencode()],
            },
        )
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    response: HttpResponse | StreamingHttpResponse
    if fmt == "xlsx":
        response = HttpResponse(
            export.xlsx_bytes(export.person_rows(actor, persons)),
            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
    else:
        response = StreamingHttpResponse(
            export.csv_lines(export.person_rows(actor, persons)),
            content_type="text/csv; charset=utf-8",
        )
    response["Content-Disposition"] = f'attachment; filename="customers-{stamp}.{fmt}"'
    return response
