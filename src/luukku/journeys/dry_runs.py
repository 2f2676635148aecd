"""A dry run asked for from the editor or the API: the person's facts read from the
database (or given for a made-up person), events at times relative to the start, and
the plan the simulator makes of them."""

from __future__ import annotations

import datetime
import zoneinfo
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

from luukku.campaigns.models import Campaign
from luukku.consent.gate import Facts, may_contact
from luukku.core.actions.calendars import schedule_for
from luukku.customers.models import Person
from luukku.desk.models import Case
from luukku.journeys import definition as d
from luukku.journeys.models import Journey, Version
from luukku.journeys.simulator import Line, VirtualEvent, dry_run
from luukku.journeys.simulator import Person as VirtualPerson
from luukku.journeys.world import OPEN, PERSON_FIELDS, held_reason
from luukku.segments.models import Membership

MAX_AFTER = datetime.timedelta(days=400)


@dataclass(frozen=True)
class PlannedEvent:
    after: datetime.timedelta  # from the start
    type: str
    payload: dict[str, Any]


def facts_of(person: Person, journey: Journey) -> VirtualPerson:
    """What the dry run needs to know of a real person, as of now."""
    values: dict[str, Any] = {name: getattr(person, name) for name in PERSON_FIELDS}
    values["custom"] = dict(person.custom or {})
    segments = set(Membership.objects.filter(person=person).values_list("segment__slug", flat=True))
    contactable = set()
    if journey.purpose is not None:
        facts = Facts(person)
        contactable = {
            channel
            for channel in ("email", "sms")
            if may_contact(person, journey.purpose, channel, facts=facts).allowed
        }
    cases = [
        held_reason(number, category)
        for number, category in Case.objects.filter(person=person, status__in=OPEN).values_list(
            "number", "category__name"
        )
    ]
    return VirtualPerson(
        values=values, segments=segments, contactable=contactable, open_cases=cases
    )


def plan(
    journey: Journey,
    version: Version,
    *,
    person: VirtualPerson,
    entry: dict[str, Any],
    events: list[PlannedEvent],
    start: datetime.datetime | None = None,
) -> list[Line]:
    start = start or timezone.now()
    if timezone.is_naive(start):
        start = timezone.make_aware(start, zoneinfo.ZoneInfo(journey.org_unit.time_zone))
    if any(abs(e.after) > MAX_AFTER for e in events):
        raise ValidationError(_("Events come at most 400 days after the start."))
    form = d.problems_in(version.definition)
    if form:
        raise ValidationError([f"{where}: {what}" for where, what in form])
    defn = d.parse(version.definition)
    names = dict(
        Campaign.objects.filter(
            pk__in=[s.message for s in defn.steps.values() if isinstance(s, d.SendStep)]
        ).values_list("pk", "name")
    )
    return dry_run(
        defn,
        person=person,
        start=start,
        entry=entry,
        events=[VirtualEvent(start + e.after, e.type, e.payload) for e in events],
        zone=zoneinfo.ZoneInfo(journey.org_unit.time_zone),
        schedule=schedule_for(journey.org_unit),
        purpose=journey.purpose.slug if journey.purpose else None,
        messages={pk: name.split(": ", 1)[-1] for pk, name in names.items()},
    )
