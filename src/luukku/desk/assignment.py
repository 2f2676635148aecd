"""Fair, presence-aware assignment: who gets the next case of a queue.

Only agents who may work the queue (or the team named) and who are on duty get cases:
available, active, not absent today, within their working hours when they have any,
and below their number of cases at a time. Round robin gives the case to whoever got
one from the queue longest ago; least load to whoever has the fewest open cases (then
longest ago). The chosen agent's row is locked and their load counted again before the
case is theirs, so two cases arriving at once in any queues never take an agent past
their capacity.
"""

from __future__ import annotations

import datetime
import zoneinfo
from dataclasses import dataclass

from django.db.models import Count
from django.utils import timezone

from luukku.core.models import Absence, Membership, Presence, Role, Team, User, WorkingHours
from luukku.desk.models import DONE, AssignmentTurn, Case, Queue

WORKERS = (Role.AGENT, Role.SUPERVISOR)
NEVER = datetime.datetime.min.replace(tzinfo=datetime.UTC)


@dataclass
class Candidate:
    user: User
    load: int
    last_turn: datetime.datetime


def _eligible(queue: Queue, team_id: int | None) -> list[User]:
    if team_id is not None:
        team = Team.objects.filter(pk=team_id).first()
        return list(team.members.filter(is_active=True)) if team else []
    above = [int(part) for part in queue.org_unit.path.strip("/").split("/") if part]
    members = Membership.objects.filter(role__in=WORKERS, org_unit_id__in=above)
    return list(User.objects.filter(memberships__in=members, is_active=True).distinct())


def on_duty(users: list[User], now: datetime.datetime) -> list[User]:
    """Those present and working now: three queries however many there are."""
    present = [u for u in users if u.presence == Presence.AVAILABLE]
    ids = [u.pk for u in present]
    absent = set(
        Absence.objects.filter(
            user_id__in=ids, starts_on__lte=now.date(), ends_on__gte=now.date()
        ).values_list("user_id", flat=True)
    )
    hours: dict[int, list[WorkingHours]] = {}
    for row in WorkingHours.objects.filter(user_id__in=ids):
        hours.setdefault(row.user_id, []).append(row)
    working = []
    for user in present:
        local = now.astimezone(zoneinfo.ZoneInfo(_zone(user)))
        if user.pk in absent:  # absences are whole days, of the organization's calendar
            continue
        mine = hours.get(user.pk)
        today = [h for h in mine or [] if h.weekday == local.weekday()]
        if mine is None or any(h.starts <= local.time() < h.ends for h in today):
            working.append(user)
    return working


def _zone(user: User) -> str:
    if user.time_zone:
        return user.time_zone
    unit = user.primary_unit()
    return unit.time_zone if unit else "Europe/Oslo"


def candidates(
    queue: Queue, *, team_id: int | None = None, now: datetime.datetime | None = None
) -> list[Candidate]:
    """Agents who could take a case of the queue now, best first."""
    now = now or timezone.now()
    people = on_duty(_eligible(queue, team_id), now)
    ids = [u.pk for u in people]
    loads = dict(
        Case.objects.filter(assignee_id__in=ids)
        .exclude(status__in=DONE)
        .values("assignee_id")
        .annotate(n=Count("id"))
        .values_list("assignee_id", "n")
    )
    turns = dict(
        AssignmentTurn.objects.filter(queue=queue, user_id__in=ids).values_list("user_id", "at")
    )
    found = [
        Candidate(u, loads.get(u.pk, 0), turns.get(u.pk, NEVER))
        for u in people
        if loads.get(u.pk, 0) < u.capacity
    ]
    if queue.assignment == Queue.Assignment.LEAST_LOAD:
        found.sort(key=lambda c: (c.load, c.last_turn, c.user.pk))
    else:
        found.sort(key=lambda c: (c.last_turn, c.load, c.user.pk))
    return found


def pick_agent(
    queue: Queue, *, team_id: int | None = None, now: datetime.datetime | None = None
) -> User | None:
    """The agent the next case of the queue goes to, taken for it (call within the
    transaction that assigns the case): None when nobody can take it now."""
    now = now or timezone.now()
    for candidate in candidates(queue, team_id=team_id, now=now):
        # Lock the agent and count again: another transaction may have just given them one.
        User.objects.select_for_update().filter(pk=candidate.user.pk).first()
        load = Case.objects.filter(assignee_id=candidate.user.pk).exclude(status__in=DONE).count()
        if load >= candidate.user.capacity:
            continue
        AssignmentTurn.objects.update_or_create(
            queue=queue, user=candidate.user, defaults={"at": now}
        )
        return candidate.user
    return None
