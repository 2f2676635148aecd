"""How often SLA deadlines were met: per month, queue, org unit, team, agent or category,
from the clocks' milestones (`SlaEvent`).

Each deadline a clock had ends in the period either met in time (a "met" event no later
than its due time) or missed (its one "breached" event; a late answer before the
scheduler saw the deadline pass writes that breach too). A deadline missed in March and
answered in April counts as missed in March; its late answer does not count again.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, F, Q, QuerySet
from django.db.models.functions import TruncMonth
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from luukku.core.models import User
from luukku.desk.access import queues_visible_to
from luukku.desk.models import Milestone, SlaEvent

# What a report groups by: (label, the values grouped on, the value shown).
GROUPS: dict[str, tuple[Any, tuple[str, ...], str]] = {
    "month": (_("Month"), ("month",), "month"),
    "queue": (_("Queue"), ("queue_id", "queue__name"), "queue__name"),
    "unit": (_("Org unit"), ("org_unit_id", "org_unit__name"), "org_unit__name"),
    "team": (_("Team"), ("assignee__teams__id", "assignee__teams__name"), "assignee__teams__name"),
    "agent": (_("Agent"), ("assignee_id", "assignee__username"), "assignee__username"),
    "category": (_("Category"), ("category_id", "category__name"), "category__name"),
}


@dataclass(frozen=True)
class Row:
    label: Any  # a name, a month's first day, or None (no queue, agent, ...)
    met: int
    missed: int

    @property
    def total(self) -> int:
        return self.met + self.missed

    @property
    def share(self) -> float | None:
        """Met in time of all that ended, 0-100 (None: none ended)."""
        return 100 * self.met / self.total if self.total else None


def outcomes(
    actor: User,
    *,
    since: datetime.date,
    until: datetime.date,
    group: str = "month",
    target: str = "",
) -> list[Row]:
    """The rows of the report over the actor's visible queues, from `since` up to and
    including `until` (local dates), largest groups first except by month."""
    _label, values, shown = GROUPS[group]
    events = _ended(actor, since, until, target)
    if group == "month":
        events = events.annotate(month=TruncMonth("at", tzinfo=timezone.get_current_timezone()))
    counted = events.values(*values).annotate(**_outcomes())
    rows = [Row(r[shown], r["met"], r["missed"]) for r in counted]
    rows = [r for r in rows if r.total]
    if group == "month":
        rows.sort(key=lambda r: r.label)
    else:
        rows.sort(key=lambda r: (-r.total, str(r.label or "")))
    return rows


def overall(actor: User, *, since: datetime.date, until: datetime.date, target: str = "") -> Row:
    """All of it at once (not the rows' sum: by team, an agent in two teams is in both)."""
    counted = _ended(actor, since, until, target).aggregate(**_outcomes())
    return Row(None, counted["met"], counted["missed"])


def _outcomes() -> dict[str, Count]:
    """Met in time (no later than the deadline measured by) and missed (the one breach)."""
    return {
        "met": Count("id", filter=Q(kind=Milestone.MET, at__lte=F("due_at"))),
        "missed": Count("id", filter=Q(kind=Milestone.BREACHED)),
    }


def _ended(
    actor: User, since: datetime.date, until: datetime.date, target: str
) -> QuerySet[SlaEvent]:
    zone = timezone.get_current_timezone()
    start = datetime.datetime.combine(since, datetime.time(), zone)
    end = datetime.datetime.combine(until + datetime.timedelta(days=1), datetime.time(), zone)
    events = SlaEvent.objects.filter(
        kind__in=[Milestone.MET, Milestone.BREACHED],
        at__gte=start,
        at__lt=end,
        queue__in=queues_visible_to(actor),
    )
    return events.filter(target=target) if target else events
