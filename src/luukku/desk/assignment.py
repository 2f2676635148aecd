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
from typing import Any

from django.db import connection
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
    zones = _zones(present)
    working = []
    for user in present:
        local = now.astimezone(zoneinfo.ZoneInfo(zones[user.pk]))
        if user.pk in absent:  # absences are whole days, of the organization's calendar
            continue
        mine = hours.get(user.pk)
        today = [h for h in mine or [] if h.weekday == local.weekday()]
        if mine is None or any(h.starts <= local.time() < h.ends for h in today):
            working.append(user)
    return working


def _zones(users: list[User]) -> dict[int, str]:
    """Each user's time zone: their own, else their primary unit's (one query for all)."""
    zones = {u.pk: u.time_zone for u in users if u.time_zone}
    rest = [u.pk for u in users if not u.time_zone]
    units = (
        Membership.objects.filter(user_id__in=rest)
        .order_by("user_id", "-is_primary", "pk")
        .values_list("user_id", "org_unit__time_zone")
    )
    for user_id, zone in units:
        zones.setdefault(user_id, zone)
    return {u.pk: zones.get(u.pk, "Europe/Oslo") for u in users}


def candidates(
    queue: Queue, *, team_id: int | None = None, now: datetime.datetime | None = None
) -> list[Candidate]:
    """Agents who could take a case of the queue now, best first: worked out by
    PostgreSQL in one statement, or here (the embedded SQLite)."""
    now = now or timezone.now()
    if connection.vendor == "postgresql":
        return _candidates_in_sql(queue, team_id, now)
    return candidates_here(queue, team_id=team_id, now=now)


def candidates_here(
    queue: Queue, *, team_id: int | None = None, now: datetime.datetime | None = None
) -> list[Candidate]:
    """The same as `_candidates_in_sql`, in Python over a few queries."""
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
    return _ordered(queue, found)


def _ordered(queue: Queue, found: list[Candidate]) -> list[Candidate]:
    if queue.assignment == Queue.Assignment.LEAST_LOAD:
        found.sort(key=lambda c: (c.load, c.last_turn, c.user.pk))
    else:
        found.sort(key=lambda c: (c.last_turn, c.load, c.user.pk))
    return found


# Who may work the queue (its unit's agents and supervisors, or a team), available and
# active; their time zone (own, else their primary unit's); not absent on their local
# date; inside working hours when they have any; below capacity; best first.
_CANDIDATES_SQL = """
WITH who AS MATERIALIZED ({who}),
eligible AS MATERIALIZED (
    SELECT u.id, u.capacity, COALESCE(NULLIF(u.time_zone, ''), z.tz, 'Europe/Oslo') AS tz
    FROM core_user u
    JOIN who ON who.id = u.id
    LEFT JOIN (
        SELECT DISTINCT ON (pm.user_id) pm.user_id, o.time_zone AS tz
        FROM core_membership pm
        JOIN core_orgunit o ON o.id = pm.org_unit_id
        JOIN who ON who.id = pm.user_id
        ORDER BY pm.user_id, pm.is_primary DESC, pm.id
    ) z ON z.user_id = u.id
    WHERE u.is_active AND u.presence = 'available'
),
local AS MATERIALIZED (
    SELECT e.*, (%(now)s AT TIME ZONE e.tz) AS wall FROM eligible e
),
loads AS (
    SELECT c.assignee_id AS id, COUNT(*) AS n
    FROM desk_case c JOIN local l ON l.id = c.assignee_id
    WHERE c.status NOT IN ('resolved', 'closed')
    GROUP BY c.assignee_id
)
SELECT l.id, COALESCE(ld.n, 0) AS load, t.at
FROM local l
LEFT JOIN loads ld ON ld.id = l.id
LEFT JOIN desk_assignmentturn t ON t.queue_id = %(queue)s AND t.user_id = l.id
WHERE COALESCE(ld.n, 0) < l.capacity
  AND NOT EXISTS (
        SELECT 1 FROM core_absence a
        WHERE a.user_id = l.id AND a.starts_on <= l.wall::date AND a.ends_on >= l.wall::date)
  AND (NOT EXISTS (SELECT 1 FROM core_workinghours w WHERE w.user_id = l.id)
       OR EXISTS (
        SELECT 1 FROM core_workinghours w
        WHERE w.user_id = l.id AND w.weekday = EXTRACT(ISODOW FROM l.wall)::int - 1
          AND w.starts <= l.wall::time AND l.wall::time < w.ends))
ORDER BY {order}
LIMIT %(limit)s
"""
_BY_UNIT = (
    "SELECT DISTINCT m.user_id AS id FROM core_membership m"
    " WHERE m.role IN ('agent', 'supervisor') AND m.org_unit_id = ANY(%(units)s)"
)
_BY_TEAM = "SELECT tm.user_id AS id FROM core_team_members tm WHERE tm.team_id = %(team)s"
_ORDER = {
    "least_load": "load, t.at NULLS FIRST, l.id",
    "round_robin": "t.at NULLS FIRST, load, l.id",
}
LIMIT = 10  # enough to find one whose load another transaction has not just filled


def _candidates_in_sql(
    queue: Queue, team_id: int | None, now: datetime.datetime
) -> list[Candidate]:
    above = [int(part) for part in queue.org_unit.path.strip("/").split("/") if part]
    sql = _CANDIDATES_SQL.format(
        who=_BY_TEAM if team_id is not None else _BY_UNIT,
        order=_ORDER.get(queue.assignment, _ORDER["round_robin"]),
    )
    params: dict[str, Any] = {
        "now": now,
        "queue": queue.pk,
        "units": above,
        "team": team_id,
        "limit": LIMIT,
    }
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    users = User.objects.in_bulk([r[0] for r in rows])
    return [Candidate(users[r[0]], r[1], r[2] or NEVER) for r in rows if r[0] in users]


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
