from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from luukku.core import access, filters
from luukku.core.access import Perm
from luukku.core.actions import people
from luukku.core.actions.audit import audit_channel
from luukku.core.links import password_link_template
from luukku.core.models import Membership, Presence, Role
from luukku.core.paging import list_page
from luukku.web.forms import (
    AbsenceForm,
    MembershipForm,
    UserEditForm,
    UserForm,
    WorkingHoursForm,
)
from luukku.web.views.auth import staff


@login_required
def users(request: HttpRequest) -> HttpResponse:
    user = staff(request)
    units = access.units_where(user, Perm.USER_VIEW)
    unit_id = request.GET.get("org_unit")
    unit = units.filter(pk=unit_id).first() if unit_id and unit_id.isdigit() else None
    rows = filters.filter_users(
        access.users_visible_to(user),
        org_unit=unit,
        role=request.GET.get("role") or None,
        presence=request.GET.get("presence") or None,
        q=request.GET.get("q") or None,
    ).prefetch_related("memberships__org_unit")
    page = list_page(rows.order_by("username"), request.GET.get("page"))
    return render(
        request,
        "web/users.html",
        {
            "page": page,
            "units": units,
            "roles": Role.choices,
            "presences": Presence.choices,
            "can_create": access.can(user, Perm.USER_MANAGE),
        },
    )


@login_required
def user_create(request: HttpRequest) -> HttpResponse:
    actor = staff(request)
    access.require(actor, Perm.USER_MANAGE)
    form = UserForm(request.POST or None, units=access.units_where(actor, Perm.USER_MANAGE))
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            with audit_channel("web"), transaction.atomic():
                unit = access.org_unit_for_actor(actor, data["org_unit"].pk, Perm.USER_MANAGE)
                created = people.create_user(
                    organization=unit.organization,
                    username=data["username"],
                    email=data["email"],
                    first_name=data["first_name"],
                    last_name=data["last_name"],
                    language=data["language"],
                    org_unit=unit,
                    by=actor,
                )
                people.grant_role(
                    user=created, org_unit=unit, role=data["role"], is_primary=True, by=actor
                )
                people.send_password_link(
                    created, link_template=password_link_template(request), invitation=True
                )
        except ValidationError as exc:
            form.add_error(None, exc.messages)
        else:
            messages.success(
                request,
                _("User created. An email with a link to choose a password is on its way."),
            )
            return redirect("web:user_detail", user_id=created.pk)
    return render(request, "web/user_form.html", {"form": form})


@login_required
def user_detail(request: HttpRequest, user_id: int) -> HttpResponse:
    actor = staff(request)
    subject = access.user_for_actor(actor, user_id)
    can_manage = access.users_visible_to(actor, Perm.USER_MANAGE).filter(pk=subject.pk).exists()
    manage_units = access.units_where(actor, Perm.USER_MANAGE)
    edit_form = UserEditForm(
        request.POST if request.POST.get("form") == "edit" else None,
        initial={
            "first_name": subject.first_name,
            "last_name": subject.last_name,
            "email": subject.email,
            "language": subject.language,
            "capacity": subject.capacity,
            "is_active": subject.is_active,
        },
    )
    if request.method == "POST" and request.POST.get("form") == "edit":
        access.user_for_actor(actor, user_id, Perm.USER_MANAGE)
        if edit_form.is_valid():
            try:
                with audit_channel("web"):
                    people.update_user(subject, changes=edit_form.cleaned_data, by=actor)
            except (ValidationError, people.PeopleError) as exc:
                edit_form.add_error(None, str(exc))
            else:
                messages.success(request, _("Saved."))
                return redirect("web:user_detail", user_id=subject.pk)
    return render(
        request,
        "web/user_detail.html",
        {
            "subject": subject,
            "can_manage": can_manage,
            "can_record_absence": subject.pk == actor.pk
            or access.users_visible_to(actor, Perm.PRESENCE_MANAGE).filter(pk=subject.pk).exists(),
            "edit_form": edit_form,
            "membership_form": MembershipForm(units=manage_units),
            "absence_form": AbsenceForm(),
            "memberships": subject.memberships.select_related("org_unit"),
            "absences": subject.absences.all()[:20],
            "working_hours_form": WorkingHoursForm(
                initial=WorkingHoursForm.initial_for(subject.working_hours.all())
            ),
            "teams": subject.teams.select_related("org_unit"),
        },
    )


@login_required
@require_POST
def membership_add(request: HttpRequest, user_id: int) -> HttpResponse:
    actor = staff(request)
    subject = access.user_for_actor(actor, user_id, Perm.USER_MANAGE)
    form = MembershipForm(request.POST, units=access.units_where(actor, Perm.USER_MANAGE))
    if form.is_valid():
        unit = access.org_unit_for_actor(actor, form.cleaned_data["org_unit"].pk, Perm.USER_MANAGE)
        with audit_channel("web"):
            people.grant_role(user=subject, org_unit=unit, role=form.cleaned_data["role"], by=actor)
        messages.success(request, _("Role granted."))
    else:
        messages.error(request, _("Choose an org unit and a role."))
    return redirect("web:user_detail", user_id=subject.pk)


@login_required
@require_POST
def membership_remove(request: HttpRequest, user_id: int, membership_id: int) -> HttpResponse:
    actor = staff(request)
    subject = access.user_for_actor(actor, user_id, Perm.USER_MANAGE)
    membership = get_object_or_404(Membership, pk=membership_id, user=subject)
    access.require(actor, Perm.USER_MANAGE, membership.org_unit)
    with audit_channel("web"):
        people.revoke_role(membership, by=actor)
    messages.success(request, _("Role removed."))
    return redirect("web:user_detail", user_id=subject.pk)


@login_required
@require_POST
def working_hours_set(request: HttpRequest, user_id: int) -> HttpResponse:
    actor = staff(request)
    subject = access.schedule_owner_for_actor(actor, user_id)
    form = WorkingHoursForm(request.POST)
    try:
        if not form.is_valid():
            raise ValidationError([str(e) for errors in form.errors.values() for e in errors])
        with audit_channel("web"):
            people.set_working_hours(user=subject, intervals=form.intervals(), by=actor)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("Working hours saved."))
    return redirect("web:user_detail", user_id=subject.pk)


@login_required
@require_POST
def absence_add(request: HttpRequest, user_id: int) -> HttpResponse:
    actor = staff(request)
    subject = access.schedule_owner_for_actor(actor, user_id)
    form = AbsenceForm(request.POST)
    if form.is_valid():
        try:
            with audit_channel("web"):
                people.add_absence(user=subject, by=actor, **form.cleaned_data)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, _("Absence recorded."))
    else:
        messages.error(request, " ".join(str(e) for errs in form.errors.values() for e in errs))
    return redirect("web:user_detail", user_id=subject.pk)
