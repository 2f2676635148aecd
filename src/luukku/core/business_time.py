"""Business time: deadlines and durations that count only a calendar's opening hours.

A `Schedule` is a calendar's week of opening hours in its time zone, its public
holidays and its special days (closed, or open at other hours). Opening hours are wall
times; the instants they stand for are worked out day by day, so a day on which the
clocks change has one hour less or more of real time, and the answers are exact in
real time. A wall time the clock skips (02:30 on the night summer time begins) stands
for the moment the clock jumps past it; a wall time that occurs twice stands for the
first of the two.
"""

from __future__ import annotations

import datetime
import functools
import zoneinfo
from collections.abc import Container, Iterator, Mapping
from dataclasses import dataclass, field

UTC = datetime.UTC
ONE_DAY = datetime.timedelta(days=1)
MIDNIGHT = datetime.time(0)
# A schedule open for less than this often is treated as never open.
SEARCH_DAYS = 3 * 366

# (opens, closes); closes None means at midnight, the end of the day.
Interval = tuple[datetime.time, datetime.time | None]
Period = tuple[datetime.datetime, datetime.datetime]


class NeverOpenError(ValueError):
    """The schedule has no opening hours in the years ahead of the start."""


@dataclass(frozen=True, eq=False)
class Schedule:
    time_zone: str
    weekly: tuple[tuple[Interval, ...], ...]  # seven weekdays, Monday first
    special_days: Mapping[datetime.date, tuple[Interval, ...]] = field(default_factory=dict)
    holidays: Container[datetime.date] = frozenset()

    @functools.cached_property
    def zone(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.time_zone)

    def hours_on(self, day: datetime.date) -> tuple[Interval, ...]:
        """The opening hours of a day: a special day's own, none on a holiday, else the week's."""
        if day in self.special_days:
            return self.special_days[day]
        if day in self.holidays:
            return ()
        return self.weekly[day.weekday()]

    def periods_on(self, day: datetime.date) -> list[Period]:
        """The day's opening hours as instants in UTC, in order, none empty."""
        cache: dict[datetime.date, list[Period]] = self.__dict__.setdefault("_periods", {})
        if day not in cache:
            periods = []
            for opens, closes in sorted(self.hours_on(day)):
                start = instant(day, opens, self.zone)
                end = (
                    instant(day + ONE_DAY, MIDNIGHT, self.zone)
                    if closes is None
                    else instant(day, closes, self.zone)
                )
                if end > start:
                    periods.append((start, end))
            cache[day] = periods
        return cache[day]

    def local_date(self, moment: datetime.datetime) -> datetime.date:
        return moment.astimezone(self.zone).date()

    def periods_from(self, moment: datetime.datetime) -> Iterator[Period]:
        """Opening periods that end after `moment`, clipped to start no earlier than it."""
        day = self.local_date(moment)
        for _ in range(SEARCH_DAYS):
            for start, end in self.periods_on(day):
                if end > moment:
                    yield max(start, moment), end
            day += ONE_DAY

    def is_open(self, moment: datetime.datetime) -> bool:
        return any(s <= moment < e for s, e in self.periods_on(self.local_date(moment)))


ALWAYS_OPEN = Schedule("UTC", weekly=(((MIDNIGHT, None),),) * 7)


def instant(day: datetime.date, wall: datetime.time, zone: zoneinfo.ZoneInfo) -> datetime.datetime:
    """The UTC instant of a wall time on a day in a zone (see the module's note on DST)."""
    local = datetime.datetime.combine(day, wall)
    moment = local.replace(tzinfo=zone).astimezone(UTC)
    if moment.astimezone(zone).replace(tzinfo=None) == local:
        return moment
    # Skipped by the clock: find the first instant whose wall time is at or past it.
    low, high = sorted((moment, local.replace(tzinfo=zone, fold=1).astimezone(UTC)))
    while high - low > datetime.timedelta(seconds=1):
        middle = low + (high - low) // 2
        if middle.astimezone(zone).replace(tzinfo=None) >= local:
            high = middle
        else:
            low = middle
    return high


def add_business_time(
    schedule: Schedule, start: datetime.datetime, amount: datetime.timedelta
) -> datetime.datetime:
    """The instant when `amount` of opening time has passed since `start`.

    Counting stops at the instant it is used up, so a deadline can fall at closing time
    (16:00 on Friday, not 08:00 on Monday). Nothing to count is `start` itself.
    """
    if amount < datetime.timedelta(0):
        raise ValueError("amount must not be negative")
    start = start.astimezone(UTC)
    if not amount:
        return start
    remaining = amount
    for opens, closes in schedule.periods_from(start):
        if closes - opens >= remaining:
            return opens + remaining
        remaining -= closes - opens
    raise NeverOpenError(f"no opening hours within {SEARCH_DAYS} days of {start.isoformat()}")


def business_time_between(
    schedule: Schedule, start: datetime.datetime, end: datetime.datetime
) -> datetime.timedelta:
    """Opening time from `start` to `end`; negative when `end` comes first."""
    if end < start:
        return -business_time_between(schedule, end, start)
    start, end = start.astimezone(UTC), end.astimezone(UTC)
    total = datetime.timedelta(0)
    day, last = schedule.local_date(start), schedule.local_date(end)
    while day <= last:
        for opens, closes in schedule.periods_on(day):
            overlap = min(closes, end) - max(opens, start)
            if overlap > datetime.timedelta(0):
                total += overlap
        day += ONE_DAY
    return total


def add_business_minutes(
    schedule: Schedule, start: datetime.datetime, minutes: int
) -> datetime.datetime:
    return add_business_time(schedule, start, datetime.timedelta(minutes=minutes))


def business_minutes_between(
    schedule: Schedule, start: datetime.datetime, end: datetime.datetime
) -> float:
    return business_time_between(schedule, start, end) / datetime.timedelta(minutes=1)
