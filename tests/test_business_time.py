"""Business time: deadlines and durations over opening hours, holidays and clock changes."""

from __future__ import annotations

import datetime as dt

import holidays
from hypothesis import given, settings
from hypothesis import strategies as st

from luukku.core.business_time import (
    ALWAYS_OPEN,
    NeverOpenError,
    Schedule,
    add_business_minutes,
    add_business_time,
    business_minutes_between,
    business_time_between,
    instant,
)

HELSINKI = "Europe/Helsinki"
OSLO = "Europe/Oslo"
OFFICE = ((dt.time(8), dt.time(16)),)
OFFICE_WEEK = (OFFICE,) * 5 + ((), ())


def at(zone: str, *args: int) -> dt.datetime:
    import zoneinfo

    return dt.datetime(*args, tzinfo=zoneinfo.ZoneInfo(zone))


def test_four_business_hours_from_friday_afternoon_before_a_finnish_holiday() -> None:
    finnish = Schedule(HELSINKI, OFFICE_WEEK, holidays=holidays.country_holidays("FI"))
    # Thursday 24 December 2026 is Christmas Eve, Friday Christmas Day: both closed.
    due = add_business_minutes(finnish, at(HELSINKI, 2026, 12, 23, 15, 0), 240)
    assert due == at(HELSINKI, 2026, 12, 28, 11, 0)
    # Good Friday and Easter Monday 2027 around the night summer time begins.
    due = add_business_minutes(finnish, at(HELSINKI, 2027, 3, 25, 14, 30), 240)
    assert due == at(HELSINKI, 2027, 3, 30, 10, 30)
    assert business_minutes_between(finnish, at(HELSINKI, 2027, 3, 25, 14, 30), due) == 240


def test_a_deadline_can_fall_at_closing_time() -> None:
    office = Schedule(OSLO, OFFICE_WEEK)
    friday = at(OSLO, 2026, 11, 27, 15, 0)
    assert add_business_minutes(office, friday, 60) == at(OSLO, 2026, 11, 27, 16, 0)
    assert add_business_minutes(office, friday, 61) == at(OSLO, 2026, 11, 30, 8, 1)
    assert add_business_minutes(office, friday, 0) == friday


def test_a_start_outside_opening_hours_counts_from_the_next_opening() -> None:
    office = Schedule(OSLO, OFFICE_WEEK)
    saturday_night = at(OSLO, 2026, 11, 28, 23, 0)
    assert add_business_minutes(office, saturday_night, 30) == at(OSLO, 2026, 11, 30, 8, 30)


def test_several_intervals_a_day_and_special_days() -> None:
    split = ((dt.time(8), dt.time(11)), (dt.time(12), dt.time(15)))
    schedule = Schedule(
        OSLO,
        (split,) * 5 + ((), ()),
        special_days={
            dt.date(2026, 12, 1): (),  # closed for a staff day
            dt.date(2026, 12, 5): ((dt.time(10), dt.time(12)),),  # a Saturday opened
        },
    )
    monday = at(OSLO, 2026, 11, 30, 10, 0)
    assert add_business_minutes(schedule, monday, 90) == at(OSLO, 2026, 11, 30, 12, 30)
    # Monday ends with 4 h left after 10:00; Tuesday is closed; Wednesday counts.
    assert add_business_minutes(schedule, monday, 5 * 60) == at(OSLO, 2026, 12, 2, 9, 0)
    friday = at(OSLO, 2026, 12, 4, 14, 0)
    assert add_business_minutes(schedule, friday, 120) == at(OSLO, 2026, 12, 5, 11, 0)


def test_a_special_day_opens_a_holiday() -> None:
    norwegian = holidays.country_holidays("NO")
    may_17 = dt.date(2027, 5, 17)
    closed = Schedule(OSLO, (OFFICE,) * 7, holidays=norwegian)
    opened = Schedule(OSLO, (OFFICE,) * 7, special_days={may_17: OFFICE}, holidays=norwegian)
    start = at(OSLO, 2027, 5, 17, 9, 0)
    assert add_business_minutes(closed, start, 60) == at(OSLO, 2027, 5, 18, 9, 0)
    assert add_business_minutes(opened, start, 60) == at(OSLO, 2027, 5, 17, 10, 0)


def test_days_the_clocks_change_are_an_hour_shorter_or_longer() -> None:
    around_the_clock = Schedule(OSLO, (((dt.time(0), None),),) * 7)
    spring = at(OSLO, 2027, 3, 28, 0, 0)
    autumn = at(OSLO, 2026, 10, 25, 0, 0)
    assert business_time_between(around_the_clock, spring, at(OSLO, 2027, 3, 29)) == dt.timedelta(
        hours=23
    )
    assert business_time_between(around_the_clock, autumn, at(OSLO, 2026, 10, 26)) == dt.timedelta(
        hours=25
    )
    night = Schedule(OSLO, (((dt.time(1), dt.time(4)),),) * 7)
    assert business_time_between(night, spring, spring + dt.timedelta(days=1)) == dt.timedelta(
        hours=2
    )
    assert business_time_between(night, autumn, autumn + dt.timedelta(days=1)) == dt.timedelta(
        hours=4
    )


def test_a_skipped_wall_time_stands_for_the_moment_the_clock_jumps() -> None:
    import zoneinfo

    oslo = zoneinfo.ZoneInfo(OSLO)
    jump = instant(dt.date(2027, 3, 28), dt.time(2, 30), oslo)
    assert jump == dt.datetime(2027, 3, 28, 1, 0, tzinfo=dt.UTC)  # 03:00 summer time
    twice = instant(dt.date(2026, 10, 25), dt.time(2, 30), oslo)
    assert twice == dt.datetime(2026, 10, 25, 0, 30, tzinfo=dt.UTC)  # the first 02:30


def test_a_schedule_that_never_opens_says_so() -> None:
    never = Schedule(OSLO, ((),) * 7)
    try:
        add_business_minutes(never, at(OSLO, 2026, 1, 1), 1)
    except NeverOpenError as error:
        assert "no opening hours" in str(error)
    else:
        raise AssertionError("a deadline was found in a calendar that never opens")


# Property-based: random weeks, holidays and special days, starts across several years
# (both clock changes included), durations up to several weeks of opening time.

times = st.integers(0, 24 * 4 - 1).map(lambda q: dt.time(q // 4, q % 4 * 15))


@st.composite
def day_hours(draw: st.DrawFn) -> tuple[tuple[dt.time, dt.time | None], ...]:
    cuts = sorted(set(draw(st.lists(times, max_size=6))))
    if len(cuts) % 2:
        return tuple(zip(cuts[::2], [*cuts[1::2], None], strict=True))
    return tuple(zip(cuts[::2], cuts[1::2], strict=True))


def _weekly_minutes(week: tuple[tuple[tuple[dt.time, dt.time | None], ...], ...]) -> int:
    def minutes(t: dt.time | None) -> int:
        return 24 * 60 if t is None else t.hour * 60 + t.minute

    return sum(minutes(b) - minutes(a) for day in week for a, b in day)


@st.composite
def schedules(draw: st.DrawFn) -> Schedule:
    week = tuple(draw(day_hours()) for _ in range(7))
    if _weekly_minutes(week) < 8 * 60:  # enough to reach every duration within the years searched
        week = (OFFICE, *week[1:])
    zone = draw(st.sampled_from([OSLO, HELSINKI, "Europe/Stockholm", "Europe/Copenhagen"]))
    days = st.dates(dt.date(2025, 1, 1), dt.date(2028, 12, 31))
    special = draw(st.dictionaries(days, day_hours(), max_size=20))
    country = draw(st.sampled_from(["NO", "FI", "SE", "DK", None]))
    return Schedule(
        zone,
        week,
        special_days=special,
        holidays=holidays.country_holidays(country) if country else frozenset(),
    )


instants = st.datetimes(
    dt.datetime(2025, 1, 1), dt.datetime(2028, 6, 30), timezones=st.just(dt.UTC)
).map(lambda d: d.replace(microsecond=0))
durations = st.integers(0, 60 * 24 * 5).map(lambda m: dt.timedelta(minutes=m))


@settings(max_examples=300, deadline=None)
@given(schedules(), instants, durations)
def test_the_time_counted_to_a_deadline_is_the_time_asked_for(
    schedule: Schedule, start: dt.datetime, amount: dt.timedelta
) -> None:
    due = add_business_time(schedule, start, amount)
    assert due >= start
    assert business_time_between(schedule, start, due) == amount
    if amount:
        # It falls inside opening hours, or at the end of a period, never in a closed gap.
        assert schedule.is_open(due - dt.timedelta(seconds=1))


@settings(max_examples=200, deadline=None)
@given(schedules(), instants, durations, durations)
def test_deadlines_grow_with_the_time_asked_for(
    schedule: Schedule, start: dt.datetime, a: dt.timedelta, b: dt.timedelta
) -> None:
    shorter, longer = sorted((a, b))
    assert add_business_time(schedule, start, shorter) <= add_business_time(schedule, start, longer)


@settings(max_examples=200, deadline=None)
@given(schedules(), instants, instants, instants)
def test_business_time_adds_up_and_never_exceeds_real_time(
    schedule: Schedule, a: dt.datetime, b: dt.datetime, c: dt.datetime
) -> None:
    a, b, c = sorted((a, b, c))
    assert business_time_between(schedule, a, b) + business_time_between(
        schedule, b, c
    ) == business_time_between(schedule, a, c)
    assert dt.timedelta(0) <= business_time_between(schedule, a, c) <= c - a
    assert business_time_between(schedule, c, a) == -business_time_between(schedule, a, c)


@settings(max_examples=200, deadline=None)
@given(instants, durations)
def test_around_the_clock_is_real_time(start: dt.datetime, amount: dt.timedelta) -> None:
    assert add_business_time(ALWAYS_OPEN, start, amount) == start + amount
    local = Schedule(OSLO, (((dt.time(0), None),),) * 7)
    assert add_business_time(local, start, amount) == start + amount
