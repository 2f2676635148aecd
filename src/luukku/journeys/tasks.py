"""Journey jobs: the scheduler that advances due enrolments (in the journeys lane), the
inbox swept for events a failed job left, and the entries by date (a birthday, a
contract's end less 30 days)."""

from __future__ import annotations

import datetime
import logging
import zoneinfo

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from luukku.core.jobs import job, periodic
from luukku.customers.models import Person
from luukku.journeys import definition as d
from luukku.journeys.models import Inbox, Journey
from luukku.journeys.reactions import enrol, hear_events
from luukku.journeys.scheduler import Moved, advance_all_due, definition_of, move_states

JOURNEYS = "journeys"
logger = logging.getLogger("luukku.journeys")


@periodic(every=datetime.timedelta(seconds=5))
@job(max_attempts=1, queue_name=JOURNEYS)
def advance_journeys() -> int:
    """Move on every enrolment whose time has come (for up to 50 s; the next run goes on)."""
    return advance_all_due()


@periodic(every=datetime.timedelta(minutes=1))
@job(max_attempts=1)
def sweep_journey_inbox() -> int:
    """Hear events whose own job gave up (it is queued with them, in their transaction)."""
    if not Inbox.objects.exists():
        return 0
    return hear_events.call()


@periodic(every=datetime.timedelta(minutes=15))
@job(max_attempts=3, queue_name=JOURNEYS)
def enter_by_dates() -> int:
    """Enrol those whose date comes round today (in the journey's unit's time zone), once
    the entry's time of day has passed; once a day per person (the date is the key)."""
    entered = 0
    for journey in Journey.objects.filter(status=Journey.Status.ACTIVE).select_related(
        "org_unit", "purpose"
    ):
        assert journey.current_id is not None
        entry = definition_of(journey.current_id).entry
        if not isinstance(entry, d.DateEntry):
            continue
        try:
            entered += enter_on_date(journey, entry, timezone.now())
        except Exception:  # one journey's mistake is not the others'
            logger.exception("Journey %s: entries by date failed", journey.pk)
    return entered


def enter_on_date(journey: Journey, entry: d.DateEntry, now: datetime.datetime) -> int:
    zone = zoneinfo.ZoneInfo(journey.org_unit.time_zone)
    local = now.astimezone(zone)
    if local.time() < entry.time:
        return 0
    target = local.date() - datetime.timedelta(days=entry.offset_days)
    key = local.date().isoformat()  # whatever the re-entry rule: once on the day
    persons = (
        Person.objects.filter(_on(entry, target))
        .exclude(journey_enrolments__journey=journey, journey_enrolments__key=key)
        .values_list("pk", flat=True)
    )
    entered, last = 0, 0
    while True:  # by primary key: those entered drop out of `persons` as it goes
        chunk = list(persons.filter(pk__gt=last).order_by("pk")[:1000])
        if not chunk:
            break
        last = chunk[-1]
        with transaction.atomic():
            moved = Moved()
            pairs = [
                pair
                for pk in chunk
                if (
                    pair := enrol(
                        journey, pk, key=key, entry={"date": key}, now=now, moved=moved, once=True
                    )
                )
                is not None
            ]
            move_states(journey, pairs, now, moved=moved)
            moved.write()
        entered += len(pairs)
    return entered


def _on(entry: d.DateEntry, day: datetime.date) -> Q:
    if entry.field.startswith("custom:"):
        lookup = f"custom__{entry.field.removeprefix('custom:')}"
        if entry.yearly:
            return Q(**{f"{lookup}__endswith": f"-{day:%m-%d}"})
        return Q(**{lookup: day.isoformat()})
    if entry.yearly:
        return Q(**{f"{entry.field}__month": day.month, f"{entry.field}__day": day.day})
    return Q(**{entry.field: day})
