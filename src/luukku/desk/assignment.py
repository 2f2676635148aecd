"""Fair, presence-aware assignment: who gets the next case of a queue.

Only agents who may work the queue (or the team named) and who are on duty get cases:
available, active, not absent today, within their working hours when they have any,
and with room for the case within their cases at a time (a case weighs by its channel,
`capacity.py`). Round robin gives the case to whoever got one from the queue longest
ago; least load to whoever has the least load (then longest ago). The chosen agent's
row is locked and their load counted again before the case is theirs, so two cases
arriving at once in any queues never take an agent past their capacity. On PostgreSQL
a queue's roster (who may work it, time zones, working hours, absences) is kept for a
few seconds and each agent's load is summed by a trigger, so a decision reads a few
hundred numbers, not thousands of cases.
"""

from __future__ import annotations

import datetime
import time
import zoneinfo
from dataclasses import dataclass
from typing import Any

from django.db import connection
from django.db.models import Q
from django.db.models.signals import m2m_changed, post_delete, post_save
from django.utils import timezone

from luukku.core.bulk import array_cursor
from luukku.core.models import Absence, Membership, Presence, Role, Team, User, WorkingHours
from luukku.desk.capacity import fits, loads_of, size_of
from luukku.desk.models import (
    ONE_CASE,
    AgentSkill,
    AssignmentTurn,
    Case,
    Category,
    Queue,
    Skill,
)

WORKERS = (Role.AGENT, Role.SUPERVISOR)
NEVER = datetime.datetime.min.replace(tzinfo=datetime.UTC)


@dataclass
class Candidate:
    user_id: int
    capacity: int
    load: int  # in hundredths of a case
    last_turn: datetime.datetime
    score: int = 0  # the agent's levels in the skills the case needs


def needs_of(case: Case | None) -> frozenset[int]:
    """The skills a case needs: those its category (or one above it) needs, and the
    language skill of its customer's language."""
    if case is None:
        return frozenset()
    line = Category.line_of(case.category_id)
    person = case.person
    language = person.preferred_language if person is not None else ""
    wanted = Q(categories__in=line) if line else Q(pk__in=[])
    if language:
        wanted |= Q(language=language)
    return frozenset(Skill.objects.filter(wanted).values_list("pk", flat=True).distinct())


def skills_of(user_ids: list[int]) -> dict[int, dict[int, int]]:
    found: dict[int, dict[int, int]] = {}
    for user_id, skill_id, level in AgentSkill.objects.filter(user_id__in=user_ids).values_list(
        "user_id", "skill_id", "level"
    ):
        found.setdefault(user_id, {})[skill_id] = level
    return found


def _by_skills(
    found: list[Candidate], skills: dict[int, dict[int, int]], needs: frozenset[int]
) -> list[Candidate]:
    """Those who have every skill needed, best (highest levels in them) first."""
    able = []
    for candidate in found:
        mine = skills.get(candidate.user_id, {})
        if needs <= set(mine):
            candidate.score = sum(mine[s] for s in needs)
            able.append(candidate)
    able.sort(key=lambda c: (-c.score, c.load, c.last_turn, c.user_id))
    return able


def _eligible(queue: Queue, team_id: int | None) -> list[User]:
    if team_id is not None:
        team = Team.objects.filter(pk=team_id).first()
        return list(team.members.filter(is_active=True)) if team else []
    above = queue.org_unit.path_ids()
    members = Membership.objects.filter(role__in=WORKERS, org_unit_id__in=above)
    return list(User.objects.filter(memberships__in=members, is_active=True).distinct())


def on_duty(users: list[User], now: datetime.datetime) -> list[User]:
    """Those available and working now (a few queries however many there are)."""
    present = [u for u in users if u.presence == Presence.AVAILABLE]
    working = set(read_roster(present).on_duty(now))
    return [u for u in present if u.pk in working]


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
    queue: Queue,
    *,
    team_id: int | None = None,
    now: datetime.datetime | None = None,
    needs: frozenset[int] = frozenset(),
    size: int = ONE_CASE,
) -> list[Candidate]:
    """Agents who could take a case (of `size`) of the queue now, best first: from the
    queue's roster and PostgreSQL's counts, or all here (the embedded SQLite)."""
    now = now or timezone.now()
    if connection.vendor == "postgresql":
        return _candidates_in_sql(queue, team_id, now, needs, size)
    return candidates_here(queue, team_id=team_id, now=now, needs=needs, size=size)


def candidates_here(
    queue: Queue,
    *,
    team_id: int | None = None,
    now: datetime.datetime | None = None,
    needs: frozenset[int] = frozenset(),
    size: int = ONE_CASE,
) -> list[Candidate]:
    """The same as `_candidates_in_sql`, in Python over a few queries."""
    now = now or timezone.now()
    present = [u for u in _eligible(queue, team_id) if u.presence == Presence.AVAILABLE]
    roster = read_roster(present)
    working = set(roster.on_duty(now))
    people = [u for u in present if u.pk in working]
    ids = [u.pk for u in people]
    loads = loads_of(ids)
    turns = dict(
        AssignmentTurn.objects.filter(queue=queue, user_id__in=ids).values_list("user_id", "at")
    )
    found = [
        Candidate(u.pk, u.capacity, loads.get(u.pk, 0), turns.get(u.pk, NEVER))
        for u in people
        if fits(loads.get(u.pk, 0), size, u.capacity)
    ]
    if queue.assignment == Queue.Assignment.SKILLS:
        return _by_skills(found, roster.skills, needs)
    return _ordered(queue, found)


def _ordered(queue: Queue, found: list[Candidate]) -> list[Candidate]:
    if queue.assignment == Queue.Assignment.LEAST_LOAD:
        found.sort(key=lambda c: (c.load, c.last_turn, c.user_id))
    else:
        found.sort(key=lambda c: (c.last_turn, c.load, c.user_id))
    return found


# The roster of a queue (who may work it, their time zones, working hours and absences)
# changes seldom; it is read again at most every ROSTER_SECONDS. What changes all the
# time (presence, open cases, turns) is read fresh for each case.
ROSTER_SECONDS = 10.0
LIMIT = 10  # enough to find one whose load another transaction has not just filled


@dataclass
class Roster:
    read_at: float
    zones: dict[int, str]
    hours: dict[int, list[tuple[int, datetime.time, datetime.time]]]
    absences: dict[int, list[tuple[datetime.date, datetime.date]]]
    skills: dict[int, dict[int, int]]

    def on_duty(self, now: datetime.datetime) -> list[int]:
        working = []
        moments: dict[str, tuple[datetime.date, int, datetime.time]] = {}  # per time zone
        for user_id, zone in self.zones.items():
            moment = moments.get(zone)
            if moment is None:
                local = now.astimezone(zoneinfo.ZoneInfo(zone))
                moment = moments[zone] = (local.date(), local.weekday(), local.time())
            day, weekday, clock = moment
            away = self.absences.get(user_id)
            if away and any(start <= day <= end for start, end in away):
                continue
            mine = self.hours.get(user_id)
            if mine is None or any(
                day_of_week == weekday and starts <= clock < ends
                for day_of_week, starts, ends in mine
            ):
                working.append(user_id)
        return working


_rosters: dict[tuple[int, int | None], Roster] = {}


def forget_rosters(*_args: Any, **_kwargs: Any) -> None:
    """Read rosters again (connected to changes of memberships, working hours, absences
    and teams in this process; other processes see them within ROSTER_SECONDS)."""
    _rosters.clear()


for _model in (Membership, WorkingHours, Absence, AgentSkill):
    post_save.connect(forget_rosters, sender=_model, dispatch_uid=f"roster-{_model.__name__}")
    post_delete.connect(forget_rosters, sender=_model, dispatch_uid=f"roster-d-{_model.__name__}")
m2m_changed.connect(forget_rosters, sender=Team.members.through, dispatch_uid="roster-team")


def _roster(queue: Queue, team_id: int | None) -> Roster:
    key = (queue.pk, team_id)
    known = _rosters.get(key)
    if known is not None and time.monotonic() - known.read_at < ROSTER_SECONDS:
        return known
    _rosters[key] = read_roster(_eligible(queue, team_id))
    return _rosters[key]


def read_roster(people: list[User]) -> Roster:
    """Their time zones, working hours, absences around today and skills."""
    ids = [u.pk for u in people]
    hours: dict[int, list[tuple[int, datetime.time, datetime.time]]] = {}
    for user_id, weekday, starts, ends in WorkingHours.objects.filter(user_id__in=ids).values_list(
        "user_id", "weekday", "starts", "ends"
    ):
        hours.setdefault(user_id, []).append((weekday, starts, ends))
    absences: dict[int, list[tuple[datetime.date, datetime.date]]] = {}
    soon = timezone.localdate() + datetime.timedelta(days=2)
    for user_id, starts_on, ends_on in Absence.objects.filter(
        user_id__in=ids,
        ends_on__gte=timezone.localdate() - datetime.timedelta(days=2),
        starts_on__lte=soon,
    ).values_list("user_id", "starts_on", "ends_on"):
        absences.setdefault(user_id, []).append((starts_on, ends_on))
    return Roster(time.monotonic(), _zones(people), hours, absences, skills_of(ids))


# Of the roster's agents on duty: those available and active with room for the case
# (`capacity.fits`; their load as the trigger of migrations desk 0011/0014 keeps it in
# `desk_agentload`), best first.
_CANDIDATES_SQL = """
SELECT u.id, u.capacity, COALESCE(ld.load_units, 0) AS load, t.at
FROM core_user u
LEFT JOIN desk_agentload ld ON ld.user_id = u.id
LEFT JOIN desk_assignmentturn t ON t.queue_id = %(queue)s AND t.user_id = u.id
WHERE u.id = ANY(%(ids)s) AND u.is_active AND u.presence = 'available' AND u.capacity > 0
  AND (COALESCE(ld.load_units, 0) = 0
       OR COALESCE(ld.load_units, 0) + %(size)s <= u.capacity * 100)
ORDER BY {order}
LIMIT %(limit)s
"""
_ORDER = {
    "least_load": "load, t.at NULLS FIRST, u.id",
    "round_robin": "t.at NULLS FIRST, load, u.id",
}


def _candidates_in_sql(
    queue: Queue,
    team_id: int | None,
    now: datetime.datetime,
    needs: frozenset[int] = frozenset(),
    size: int = ONE_CASE,
) -> list[Candidate]:
    roster = _roster(queue, team_id)
    ids = roster.on_duty(now)
    by_skills = queue.assignment == Queue.Assignment.SKILLS
    if by_skills:  # only who has every skill needed; the best of them chosen here
        ids = [pk for pk in ids if needs <= set(roster.skills.get(pk, {}))]
    if not ids:
        return []
    order = _ORDER["least_load"] if by_skills else _ORDER.get(queue.assignment)
    sql = _CANDIDATES_SQL.format(order=order or _ORDER["round_robin"])
    limit = len(ids) if by_skills else LIMIT
    params: dict[str, Any] = {"queue": queue.pk, "ids": ids, "limit": limit, "size": size}
    with array_cursor() as cursor:  # bound on the server: prepared once per connection
        cursor.execute(sql, params, prepare=True)
        rows = cursor.fetchall()
    found = [Candidate(r[0], r[1], r[2], r[3] or NEVER) for r in rows]
    return _by_skills(found, roster.skills, needs) if by_skills else found


def _take(user_id: int, size: int) -> User | None:
    """Lock the agent's row and read it, then (in a new snapshot, after any wait) their
    load: the agent, if the case still fits."""
    agent = User.objects.select_for_update().filter(pk=user_id).first()
    if agent is None:
        return None
    if connection.vendor == "postgresql":  # a plain statement: this runs for every case
        with connection.cursor() as cursor:
            cursor.execute("SELECT load_units FROM desk_agentload WHERE user_id = %s", [user_id])
            counted = cursor.fetchone()
        load = counted[0] if counted else 0
    else:
        load = loads_of([user_id]).get(user_id, 0)
    return agent if fits(load, size, agent.capacity) else None


def pick_agent(
    queue: Queue,
    *,
    team_id: int | None = None,
    now: datetime.datetime | None = None,
    case: Case | None = None,
) -> User | None:
    """The agent the next case of the queue goes to, taken for it (call within the
    transaction that assigns the case): None when nobody can take it now."""
    now = now or timezone.now()
    needs = needs_of(case) if queue.assignment == Queue.Assignment.SKILLS else frozenset()
    size = size_of(case)
    for candidate in candidates(queue, team_id=team_id, now=now, needs=needs, size=size):
        # Lock the agent and count again: another transaction may have just given them one.
        agent = _take(candidate.user_id, size)
        if agent is None:
            continue
        AssignmentTurn.objects.bulk_create(  # one upsert
            [AssignmentTurn(queue=queue, user=agent, at=now)],
            update_conflicts=True,
            unique_fields=["queue", "user"],
            update_fields=["at"],
        )
        return agent
    return None
