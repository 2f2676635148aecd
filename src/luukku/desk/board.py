"""The supervisors' board: each queue's waiting work and SLA risk, each agent's presence
and load, for the units a supervisor watches."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.db.models import Count, Min, Q
from django.utils import timezone

from luukku.core.access import Perm, units_where
from luukku.core.models import Membership, User
from luukku.desk.access import queues_visible_to
from luukku.desk.assignment import WORKERS, on_duty
from luukku.desk.capacity import loads_of
from luukku.desk.models import DONE, ONE_CASE, Case, Queue


@dataclass
class QueueRow:
    queue: Queue
    open: int
    waiting: int  # open and nobody's
    at_risk: int  # past the warning, not yet due
    overdue: int
    oldest_waiting: datetime.datetime | None


@dataclass
class AgentRow:
    user: User
    on_duty: bool
    open_cases: int
    load: float  # in cases, by the channels' weights
    overdue: int


def queue_rows(actor: User, *, now: datetime.datetime | None = None) -> list[QueueRow]:
    now = now or timezone.now()
    queues = list(queues_visible_to(actor).filter(is_active=True).order_by("name"))
    unassigned = Q(assignee__isnull=True)
    counts = {
        row["queue_id"]: row
        for row in Case.objects.filter(queue__in=queues)
        .exclude(status__in=DONE)
        .values("queue_id")
        .annotate(
            open=Count("id"),
            waiting=Count("id", filter=unassigned),
            at_risk=Count("id", filter=Q(sla_warn_at__lte=now, sla_due_at__gt=now)),
            overdue=Count("id", filter=Q(sla_due_at__lte=now)),
            oldest=Min("created_at", filter=unassigned),
        )
    }
    return [
        QueueRow(
            queue=q,
            open=counts.get(q.pk, {}).get("open", 0),
            waiting=counts.get(q.pk, {}).get("waiting", 0),
            at_risk=counts.get(q.pk, {}).get("at_risk", 0),
            overdue=counts.get(q.pk, {}).get("overdue", 0),
            oldest_waiting=counts.get(q.pk, {}).get("oldest"),
        )
        for q in queues
    ]


def agent_rows(actor: User, *, now: datetime.datetime | None = None) -> list[AgentRow]:
    """The agents of the units where the actor manages presence."""
    now = now or timezone.now()
    units = units_where(actor, Perm.PRESENCE_MANAGE)
    members = Membership.objects.filter(role__in=WORKERS, org_unit__in=units)
    people = list(
        User.objects.filter(memberships__in=members, is_active=True)
        .distinct()
        .order_by("first_name", "username")
    )
    open_cases = Case.objects.filter(assignee__in=people).exclude(status__in=DONE)
    counted = (
        open_cases.values("assignee_id")
        .annotate(n=Count("id"), late=Count("id", filter=Q(sla_due_at__lte=now)))
        .values_list("assignee_id", "n", "late")
    )
    numbers = {pk: n for pk, n, _late in counted}
    late = {pk: overdue for pk, _n, overdue in counted}
    loads = loads_of(u.pk for u in people)
    working = {u.pk for u in on_duty(people, now)}
    return [
        AgentRow(
            user=u,
            on_duty=u.pk in working,
            open_cases=numbers.get(u.pk, 0),
            load=loads.get(u.pk, 0) / ONE_CASE,
            overdue=late.get(u.pk, 0),
        )
        for u in people
    ]
