"""An org unit's business calendar: opening hours, holidays, special days, and a preview."""

from __future__ import annotations

import datetime
import zoneinfo
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _

from luukku.core import access
from luukku.core.access import Perm
from luukku.core.actions import calendars
from luukku.core.actions.audit import audit_channel
from luukku.core.business_time import ALWAYS_OPEN, Schedule, add_business_minutes
from luukku.core.models import BusinessCalendar, OrgUnit, SpecialDay
from luukku.web.forms import WEEKDAY_FIELDS, CalendarForm, DeadlineForm, SpecialDayForm
from luukku.web.views.auth import staff

PREVIEW_DAYS = 14


def _initial(unit: OrgUnit, calendar: BusinessCalendar | None) -> dict[str, Any]:
    if calendar is None:
        office = "08:00–16:00"
        return {
            "name": unit.name,
            "time_zone": unit.time_zone,
            "holiday_country": unit.organization.country,
            "de_facto_holidays": True,
            **{day: office for day in WEEKDAY_FIELDS[:5]},
        }
    week = calendars.week_of(calendar)
    return {
        "name": calendar.name if calendar.org_unit_id == unit.pk else unit.name,
        "time_zone": calendar.time_zone,
        "holiday_country": calendar.holiday_country,
        "de_facto_holidays": calendar.de_facto_holidays,
        **{day: calendars.format_hours(week[i]) for i, day in enumerate(WEEKDAY_FIELDS)},
    }


def _coming_days(schedule: Schedule, today: datetime.date) -> list[dict[str, Any]]:
    names = getattr(schedule.holidays, "get", None)
    days = []
    for offset in range(PREVIEW_DAYS):
        day = today + datetime.timedelta(days=offset)
        special = schedule.special_days.get(day)
        days.append(
            {
                "date": day,
                "hours": calendars.format_hours(schedule.hours_on(day)),
                "note": (names(day) if names and special is None else None) or "",
                "special": special is not None,
            }
        )
    return days


@login_required
def calendar_page(request: HttpRequest, unit_id: int) -> HttpResponse:
    user = staff(request)
    unit = access.org_unit_for_actor(user, unit_id, Perm.ORG_UNIT_VIEW)
    may_manage = access.can(user, Perm.ORG_UNIT_MANAGE, unit)
    effective = calendars.calendar_for(unit)
    own = effective if effective is not None and effective.org_unit_id == unit.pk else None
    form = CalendarForm(request.POST or None, initial=_initial(unit, effective))
    if request.method == "POST":
        access.require(user, Perm.ORG_UNIT_MANAGE, unit)
        if form.is_valid():
            data = form.cleaned_data
            try:
                with audit_channel("web"):
                    calendars.save_calendar(
                        unit,
                        name=data["name"],
                        time_zone=data["time_zone"],
                        holiday_country=data["holiday_country"],
                        de_facto_holidays=data["de_facto_holidays"],
                        week=form.week(),
                        by=user,
                    )
                messages.success(request, _("Calendar saved."))
                return redirect("web:calendar", unit_id=unit.pk)
            except ValidationError as error:
                form.add_error(None, error.messages)
    schedule = calendars.schedule_of(effective) if effective is not None else ALWAYS_OPEN
    zone = zoneinfo.ZoneInfo(effective.time_zone if effective else unit.time_zone)
    deadline = _deadline(request, schedule, zone)
    return render(
        request,
        "web/calendar.html",
        {
            "unit": unit,
            "calendar": effective,
            "own": own,
            "may_manage": may_manage,
            "form": form,
            "special_form": SpecialDayForm(),
            "special_days": own.special_days.all() if own else [],
            "coming_days": _coming_days(schedule, timezone.now().astimezone(zone).date()),
            "deadline": deadline,
            "time_zone": zone.key,
        },
    )


def _deadline(request: HttpRequest, schedule: Schedule, zone: zoneinfo.ZoneInfo) -> dict[str, Any]:
    """The preview's answer to "from this moment, N business minutes later is when?"."""
    form = DeadlineForm(request.GET if "minutes" in request.GET else None)
    result = None
    if form.is_bound and form.is_valid():
        start = form.cleaned_data["start"].replace(tzinfo=None).replace(tzinfo=zone)
        try:
            result = add_business_minutes(schedule, start, form.cleaned_data["minutes"])
        except ValueError:
            form.add_error(None, _("This calendar has no opening hours in the years ahead."))
    return {"form": form, "due": result.astimezone(zone) if result else None}


@login_required
def special_day_add(request: HttpRequest, unit_id: int) -> HttpResponse:
    user = staff(request)
    unit = access.org_unit_for_actor(user, unit_id, Perm.ORG_UNIT_MANAGE)
    calendar = BusinessCalendar.objects.filter(org_unit=unit).first()
    form = SpecialDayForm(request.POST)
    if request.method != "POST" or calendar is None:
        return redirect("web:calendar", unit_id=unit.pk)
    if form.is_valid():
        with audit_channel("web"):
            calendars.set_special_day(calendar, by=user, **form.cleaned_data)
        messages.success(request, _("Special day saved."))
    else:
        problems = [str(e) for errors in form.errors.values() for e in errors]
        messages.error(request, " ".join(problems))
    return redirect("web:calendar", unit_id=unit.pk)


@login_required
def special_day_remove(request: HttpRequest, unit_id: int, day_id: int) -> HttpResponse:
    user = staff(request)
    unit = access.org_unit_for_actor(user, unit_id, Perm.ORG_UNIT_MANAGE)
    day = get_object_or_404(SpecialDay, pk=day_id, calendar__org_unit=unit)
    if request.method == "POST":
        with audit_channel("web"):
            calendars.remove_special_day(day, by=user)
        messages.success(request, _("Special day removed."))
    return redirect("web:calendar", unit_id=unit.pk)
