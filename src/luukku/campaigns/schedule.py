"""When a campaign goes out: once at its time, or again and again (every day, week or
month from its first time, or on a cron schedule in the organization's time zone),
until a last day."""

from __future__ import annotations

import calendar
import datetime
import zoneinfo

from croniter import croniter
from django.core.exceptions import ObjectDoesNotExist
from django.utils import timezone

from luukku.campaigns.models import Campaign, Recurrence

MAX_OCCURRENCES = 400


def recurs(campaign: Campaign) -> bool:
    return bool(campaign.cron or campaign.recurrence)


def _add_month(at: datetime.datetime, months: int) -> datetime.datetime:
    month = at.month - 1 + months
    year = at.year + month // 12
    month = month % 12 + 1
    day = min(at.day, calendar.monthrange(year, month)[1])
    return at.replace(year=year, month=month, day=day)


def _zone(campaign: Campaign) -> datetime.tzinfo:
    """The owning unit's time zone: "9 o'clock" is its 9 o'clock."""
    try:
        return zoneinfo.ZoneInfo(campaign.org_unit.time_zone)
    except ObjectDoesNotExist:  # a campaign being made, without its unit yet
        return timezone.get_current_timezone()


def next_after(campaign: Campaign, after: datetime.datetime) -> datetime.datetime | None:
    """The first time strictly after `after` the campaign is to go out, or None."""
    first = campaign.scheduled_at
    if first is None:
        return None
    if not recurs(campaign):
        return first if first > after else None
    zone = _zone(campaign)
    if campaign.cron:
        local = max(after, first - datetime.timedelta(seconds=1)).astimezone(zone)
        found: datetime.datetime = croniter(campaign.cron, local).get_next(datetime.datetime)
    else:
        found = first.astimezone(zone)
        step = 0
        while found <= after:
            step += 1
            if campaign.recurrence == Recurrence.DAILY:
                found = first.astimezone(zone) + datetime.timedelta(days=step)
            elif campaign.recurrence == Recurrence.WEEKLY:
                found = first.astimezone(zone) + datetime.timedelta(weeks=step)
            else:
                found = _add_month(first.astimezone(zone), step)
    if campaign.repeat_until and found.astimezone(zone).date() > campaign.repeat_until:
        return None
    return found


def occurrences(
    campaign: Campaign, start: datetime.datetime, end: datetime.datetime
) -> list[datetime.datetime]:
    """The times within [start, end) the campaign goes out."""
    found: list[datetime.datetime] = []
    at = next_after(campaign, start - datetime.timedelta(microseconds=1))
    while at is not None and at < end and len(found) < MAX_OCCURRENCES:
        found.append(at)
        at = next_after(campaign, at) if recurs(campaign) else None
    return found


def valid_cron(expression: str) -> bool:
    return len(expression.split()) == 5 and bool(croniter.is_valid(expression))


def quiet_end(campaign: Campaign, now: datetime.datetime) -> datetime.datetime | None:
    """When the SMS quiet hours around `now` end (in the unit's time zone), or None when
    it is not quiet. A window may cross midnight (21:00 to 08:00)."""
    start, stop = campaign.quiet_from, campaign.quiet_until
    if start is None or stop is None or start == stop:
        return None
    zone = _zone(campaign)
    local = now.astimezone(zone)
    time = local.time()
    inside = start <= time < stop if start < stop else (time >= start or time < stop)
    if not inside:
        return None
    day = local.date() if time < stop else local.date() + datetime.timedelta(days=1)
    return datetime.datetime.combine(day, stop, zone)
