"""Setting up business calendars, and the schedule of any org unit's calendar."""

from __future__ import annotations

import datetime
import functools
import itertools
import re
from collections.abc import Container, Sequence

import holidays
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from luukku.core.actions import audit
from luukku.core.business_time import ALWAYS_OPEN, Interval, Schedule
from luukku.core.models import AuditEntry, OrgUnit, User
from luukku.core.models.calendars import BusinessCalendar, OpeningHours, SpecialDay

CALENDAR_FIELDS = ("name", "time_zone", "holiday_country", "de_facto_holidays")
_INTERVAL = re.compile(r"^(\d{1,2})(?:[:.](\d{2}))?\s*[-–—]\s*(\d{1,2})(?:[:.](\d{2}))?$")
_CLOSED_WORDS = {"", "-", "closed", "stengt", "suljettu", "stängt", "lukket"}

Week = Sequence[Sequence[Interval]]


def _wall_time(hour: str, minute: str | None, text: str) -> datetime.time | None:
    h, m = int(hour), int(minute or 0)
    if h == 24 and m == 0:
        return None
    if h > 23 or m > 59:
        raise ValidationError(_("“%(text)s” is not a time of day.") % {"text": text})
    return datetime.time(h, m)


def parse_hours(text: str) -> tuple[Interval, ...]:
    """Intervals from text such as "08:00-11:30, 12:00-16:00"; empty or "closed" is none.

    A closing time of 24:00 (or 00:00) means midnight. Overlapping intervals are refused.
    """
    if text.strip().lower() in _CLOSED_WORDS:
        return ()
    intervals: list[Interval] = []
    for part in re.split(r"[,;]", text):
        match = _INTERVAL.match(part.strip())
        if not match:
            raise ValidationError(
                _("“%(text)s” is not an interval such as 08:00–16:00.") % {"text": part.strip()}
            )
        opens = _wall_time(match[1], match[2], part.strip())
        closes = _wall_time(match[3], match[4], part.strip())
        if opens is None:
            raise ValidationError(_("An interval cannot open at 24:00."))
        if closes == datetime.time(0):
            closes = None
        if closes is not None and closes <= opens:
            raise ValidationError(_("“%(text)s” closes before it opens.") % {"text": part.strip()})
        intervals.append((opens, closes))
    return without_overlaps(intervals)


def without_overlaps(intervals: Sequence[Interval]) -> tuple[Interval, ...]:
    """The intervals in order, or the refusal naming the two that overlap."""
    ordered = sorted(intervals)
    for (a_opens, a_closes), (b_opens, b_closes) in itertools.pairwise(ordered):
        if a_closes is None or a_closes > b_opens:
            raise ValidationError(
                _("%(first)s and %(second)s overlap.")
                % {
                    "first": format_hours([(a_opens, a_closes)]),
                    "second": format_hours([(b_opens, b_closes)]),
                }
            )
    return tuple(ordered)


def format_hours(intervals: Sequence[Interval]) -> str:
    def wall(t: datetime.time | None) -> str:
        return "24:00" if t is None else t.strftime("%H:%M")

    return ", ".join(f"{wall(opens)}–{wall(closes)}" for opens, closes in intervals)


def calendar_for(unit: OrgUnit) -> BusinessCalendar | None:
    """The calendar of the unit, else of the nearest unit above it that has one."""
    ids = unit.path_ids()
    found = {c.org_unit_id: c for c in BusinessCalendar.objects.filter(org_unit_id__in=ids)}
    return next((found[i] for i in reversed(ids) if i in found), None)


@functools.lru_cache(maxsize=16)
def public_holidays(country: str, de_facto: bool) -> Container[datetime.date]:
    entity = holidays.country_holidays(country)
    if de_facto and "de_facto" in entity.supported_categories:
        return holidays.country_holidays(country, categories=("public", "de_facto"))
    return entity


def week_of(calendar: BusinessCalendar) -> list[tuple[Interval, ...]]:
    week: list[list[Interval]] = [[] for _ in range(7)]
    for row in calendar.hours.all():
        closes = None if row.closes == datetime.time(0) else row.closes
        week[row.weekday].append((row.opens, closes))
    return [tuple(sorted(day)) for day in week]


_schedules: dict[tuple[int, datetime.datetime], Schedule] = {}


def schedule_of(calendar: BusinessCalendar) -> Schedule:
    """The calendar's schedule, read once while the calendar is unchanged (every change
    of its hours or special days saves the calendar, so `updated_at` moves)."""
    key = (calendar.pk, calendar.updated_at)
    if key not in _schedules:
        if len(_schedules) > 100:
            _schedules.clear()
        _schedules[key] = _read_schedule(calendar)
    return _schedules[key]


def _read_schedule(calendar: BusinessCalendar) -> Schedule:
    special = {day.date: parse_hours(day.hours) for day in calendar.special_days.all()}
    country = calendar.holiday_country
    return Schedule(
        calendar.time_zone,
        tuple(week_of(calendar)),
        special_days=special,
        holidays=public_holidays(country, calendar.de_facto_holidays) if country else frozenset(),
    )


def schedule_for(unit: OrgUnit) -> Schedule:
    """The unit's business hours; around the clock when no calendar applies to it."""
    calendar = calendar_for(unit)
    return schedule_of(calendar) if calendar is not None else ALWAYS_OPEN


@transaction.atomic
def save_calendar(
    unit: OrgUnit,
    *,
    name: str,
    time_zone: str,
    holiday_country: str,
    de_facto_holidays: bool,
    week: Week,
    by: User | None,
) -> BusinessCalendar:
    """Create or replace the unit's own calendar: its settings and its whole week."""
    if len(week) != 7:
        raise ValidationError(_("A week has seven days."))
    calendar = BusinessCalendar.objects.filter(org_unit=unit).first()
    created = calendar is None
    before = {} if calendar is None else audit.snapshot(calendar, CALENDAR_FIELDS)
    before_week = [] if calendar is None else week_of(calendar)
    calendar = calendar or BusinessCalendar(org_unit=unit)
    calendar.name = name
    calendar.time_zone = time_zone
    calendar.holiday_country = holiday_country
    calendar.de_facto_holidays = de_facto_holidays
    calendar.full_clean(exclude=["org_unit"])
    calendar.save()
    calendar.hours.all().delete()
    OpeningHours.objects.bulk_create(
        OpeningHours(calendar=calendar, weekday=day, opens=opens, closes=closes or datetime.time(0))
        for day, intervals in enumerate(week)
        for opens, closes in without_overlaps(intervals)
    )
    changes = audit.diff(before, audit.snapshot(calendar, CALENDAR_FIELDS))
    new_week = [format_hours(day) for day in week_of(calendar)]
    if [format_hours(day) for day in before_week] != new_week:
        changes["week"] = [[format_hours(day) for day in before_week] or None, new_week]
    audit.record(
        actor=by,
        action=AuditEntry.Action.CREATE if created else AuditEntry.Action.UPDATE,
        obj=calendar,
        org_unit=unit,
        changes=changes,
    )
    return calendar


@transaction.atomic
def set_special_day(
    calendar: BusinessCalendar,
    *,
    date: datetime.date,
    name: str,
    hours: str,
    by: User | None,
) -> SpecialDay:
    """Mark a date closed (no hours) or open at its own hours, replacing what it had."""
    normalized = format_hours(parse_hours(hours))
    day, created = SpecialDay.objects.update_or_create(
        calendar=calendar, date=date, defaults={"name": name, "hours": normalized}
    )
    calendar.save(update_fields=["updated_at"])
    audit.record(
        actor=by,
        action=AuditEntry.Action.CREATE if created else AuditEntry.Action.UPDATE,
        obj=day,
        org_unit=calendar.org_unit,
        changes={
            "date": [None, str(date)],
            "name": [None, name],
            "hours": [None, normalized or "closed"],
        },
    )
    return day


@transaction.atomic
def remove_special_day(day: SpecialDay, *, by: User | None) -> None:
    calendar = day.calendar
    audit.record(
        actor=by,
        action=AuditEntry.Action.DELETE,
        obj=day,
        org_unit=calendar.org_unit,
        changes={"date": [str(day.date), None]},
    )
    day.delete()
    calendar.save(update_fields=["updated_at"])
