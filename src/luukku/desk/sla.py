"""SLA clocks: which policy a case falls under, and its clocks kept true to the case.

A case's clocks follow what happens to it (`follow_changes`, called with every change
to cases): the first response and resolution clocks start when it opens; a customer's
message after the first response starts the next-response clock; an answer meets the
response clocks; resolving meets the resolution clock. While the case is pending the
customer or a third party its clocks pause, with the reason, and they resume when it
opens again (a reopened case's resolution clock counts on from where it stood).

Time is business time of the case's unit's calendar (core/business_time.py). A clock
keeps when it started and how much business time it spent paused, so its deadline is
"start + target + paused" and can be worked out again at any time, as when a policy's
targets change (`recompute_policy`). Each milestone is an `SlaEvent`.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from django.db import connection
from django.utils import timezone

from luukku.core.actions.calendars import schedule_for
from luukku.core.business_time import (
    Schedule,
    add_business_time,
    business_time_between,
)
from luukku.core.models import OrgUnit
from luukku.desk import segment_directory
from luukku.desk.models import (
    DONE,
    Case,
    Category,
    ClockState,
    Milestone,
    SlaClock,
    SlaEvent,
    SlaPolicy,
    StatusCategory,
    Target,
)
from luukku.desk.rules import relationship_codes

PAUSING = (StatusCategory.PENDING_CUSTOMER, StatusCategory.PENDING_THIRD_PARTY)
ACTIVE = (ClockState.RUNNING, ClockState.PAUSED)
CONDITIONS = ("priority", "channel", "queue", "category", "relationship", "segment")
ZERO = datetime.timedelta(0)


def schedule_for_case(case: Case) -> Schedule:
    """The business hours the case's clocks count (around the clock without a calendar)."""
    return schedule_for(case.org_unit)


# Which policy -------------------------------------------------------------------------


def policies_for(unit: OrgUnit) -> list[SlaPolicy]:
    """Active policies of the unit and the units above it, in their order."""
    ids = unit.path_ids()
    return list(SlaPolicy.objects.filter(org_unit_id__in=ids, is_active=True))


def matches(policy: SlaPolicy, case: Case, facts: dict[str, Any]) -> bool:
    wanted = policy.conditions or {}
    if wanted.get("priority") and case.priority not in wanted["priority"]:
        return False
    if wanted.get("channel") and case.channel not in wanted["channel"]:
        return False
    if wanted.get("queue") and case.queue_id not in wanted["queue"]:
        return False
    if wanted.get("category"):
        if "category" not in facts:
            facts["category"] = Category.line_of(case.category_id)
        if not facts["category"] & set(wanted["category"]):
            return False
    if wanted.get("relationship"):
        if "relationship" not in facts:
            facts["relationship"] = relationship_codes(case.person_id)
        if not facts["relationship"] & set(wanted["relationship"]):
            return False
    if wanted.get("segment"):
        if "segment" not in facts:
            facts["segment"] = segment_directory.segments_of(case.person_id)
        if not facts["segment"] & set(wanted["segment"]):
            return False
    return True


def policy_for(case: Case, policies: Sequence[SlaPolicy] | None = None) -> SlaPolicy | None:
    """The policy a routing rule chose for the case, else the first of the unit's
    policies whose conditions the case meets."""
    if case.sla_policy_id is not None:
        chosen = SlaPolicy.objects.filter(pk=case.sla_policy_id, is_active=True).first()
        if chosen is not None:
            return chosen
    facts: dict[str, Any] = {}
    for policy in policies if policies is not None else policies_for(case.org_unit):
        if matches(policy, case, facts):
            return policy
    return None


# The clocks ---------------------------------------------------------------------------


@dataclass
class Tick:
    """What happened to one clock, for its event."""

    clock: SlaClock
    kind: str
    at: datetime.datetime
    reason: str = ""
    due_at: datetime.datetime | None = None  # the deadline it was measured by, if not the clock's


def _place(clock: SlaClock, schedule: Schedule) -> None:
    """Work out the deadline, the warning and the next check of a clock."""
    if clock.state != ClockState.RUNNING:
        clock.due_at = clock.warn_at = clock.check_at = None
        return
    minutes = clock.policy.minutes_for(clock.target) or 0
    target = datetime.timedelta(minutes=minutes)
    clock.due_at = add_business_time(schedule, clock.started_at, target + clock.paused_business)
    warn = target * clock.policy.warn_at_percent / 100
    clock.warn_at = add_business_time(schedule, clock.started_at, warn + clock.paused_business)
    if clock.warned_at is None:
        clock.check_at = clock.warn_at
    elif clock.breached_at is None:
        clock.check_at = clock.due_at
    else:
        clock.check_at = None


def _start(
    case: Case, policy: SlaPolicy, target: str, at: datetime.datetime, clock: SlaClock | None
) -> tuple[SlaClock, Tick]:
    clock = clock or SlaClock(case=case, target=target)
    clock.policy = policy
    clock.state = ClockState.RUNNING
    clock.started_at = at
    clock.paused_business = ZERO
    clock.paused_at = clock.warned_at = clock.breached_at = clock.met_at = None
    clock.pause_reason = ""
    return clock, Tick(clock, Milestone.STARTED, at)


def _meet(clock: SlaClock, at: datetime.datetime, schedule: Schedule) -> list[Tick]:
    """The clock is met; late, and before the scheduler saw the deadline pass, it is also
    breached, so every missed deadline has its one breach for the reports."""
    _resume_time(clock, at, schedule)
    due = clock.due_at  # a met clock has no deadline any more; its events keep this one
    ticks = []
    if clock.breached_at is None and due is not None and at > due:
        clock.breached_at = at
        ticks.append(Tick(clock, Milestone.BREACHED, at, due_at=due))
    clock.state, clock.met_at = ClockState.MET, at
    return [*ticks, Tick(clock, Milestone.MET, at, due_at=due)]


def _stop(clock: SlaClock, at: datetime.datetime, schedule: Schedule) -> None:
    _resume_time(clock, at, schedule)
    clock.state = ClockState.STOPPED


def _resume_time(clock: SlaClock, at: datetime.datetime, schedule: Schedule) -> None:
    """Count a pause that ends at `at` as paused business time."""
    if clock.paused_at is not None:
        clock.paused_business += business_time_between(schedule, clock.paused_at, at)
        clock.paused_at = None


def sync_case(
    case: Case,
    clocks: dict[str, SlaClock],
    policy: SlaPolicy | None,
    schedule: Schedule,
    *,
    kind: str,
    now: datetime.datetime,
) -> list[Tick]:
    """Bring the case's clocks in line with the case after a change of `kind`; the clocks
    it starts are added to `clocks`. Returns what happened, for the events."""
    ticks: list[Tick] = []
    if policy is None or kind == "merged":  # a merged case lives on in the other
        for clock in clocks.values():
            if clock.state in ACTIVE:
                _stop(clock, now, schedule)
        return ticks
    for target, clock in clocks.items():
        clock.policy = policy
        if not policy.minutes_for(target) and clock.state in ACTIVE:
            _stop(clock, now, schedule)
    for target in (Target.FIRST_RESPONSE, Target.RESOLUTION):
        if policy.minutes_for(target) and target not in clocks and case.status not in DONE:
            if target == Target.FIRST_RESPONSE and case.first_response_at is not None:
                continue
            clocks[target], tick = _start(case, policy, target, case.created_at or now, None)
            ticks.append(tick)
    answered = kind == "replied"
    if kind == "customer_wrote" and case.first_response_at and policy.next_response_minutes:
        current = clocks.get(Target.NEXT_RESPONSE)
        if current is None or current.state not in ACTIVE:
            clocks[Target.NEXT_RESPONSE], tick = _start(
                case, policy, Target.NEXT_RESPONSE, now, current
            )
            ticks.append(tick)
    for target, clock in clocks.items():
        ticks += _follow_status(case, clock, target, schedule, now=now, answered=answered)
    return ticks


def _follow_status(
    case: Case,
    clock: SlaClock,
    target: str,
    schedule: Schedule,
    *,
    now: datetime.datetime,
    answered: bool,
) -> list[Tick]:
    done = case.status in DONE
    if target == Target.RESOLUTION and clock.state == ClockState.MET and not done:
        # Reopened: the time it stood resolved counts as paused.
        clock.state, clock.paused_at, clock.met_at = ClockState.PAUSED, clock.met_at, None
        clock.pause_reason = "reopened"
    if clock.state not in ACTIVE:
        return []
    if target == Target.RESOLUTION and done:
        return _meet(clock, case.resolved_at or now, schedule)
    if target != Target.RESOLUTION and (answered or case.first_response_at is not None):
        if target == Target.FIRST_RESPONSE and case.first_response_at is not None:
            return _meet(clock, case.first_response_at, schedule)
        if target == Target.NEXT_RESPONSE and answered:
            return _meet(clock, now, schedule)
    if target != Target.RESOLUTION and done:
        _stop(clock, now, schedule)
        return []
    if case.status in PAUSING and clock.state == ClockState.RUNNING:
        clock.state, clock.paused_at, clock.pause_reason = ClockState.PAUSED, now, case.status
        return [Tick(clock, Milestone.PAUSED, now, case.status)]
    if case.status not in PAUSING and clock.state == ClockState.PAUSED:
        reason = clock.pause_reason
        _resume_time(clock, now, schedule)
        clock.state, clock.pause_reason = ClockState.RUNNING, ""
        return [Tick(clock, Milestone.RESUMED, now, reason)]
    return []


def event_row(case: Case, tick: Tick) -> SlaEvent:
    return SlaEvent(
        case=case,
        policy=tick.clock.policy,
        target=tick.clock.target,
        kind=tick.kind,
        at=tick.at,
        reason=tick.reason,
        due_at=tick.due_at or tick.clock.due_at,
        queue_id=case.queue_id,
        org_unit_id=case.org_unit_id,
        category_id=case.category_id,
        assignee_id=case.assignee_id,
    )


def _soonest(case: Case, clocks: Iterable[SlaClock]) -> bool:
    """Set the case's soonest deadline and its warning; whether they changed."""
    running = [c for c in clocks if c.state == ClockState.RUNNING and c.due_at is not None]
    running.sort(key=lambda c: (c.due_at, c.target))
    due, warn = (running[0].due_at, running[0].warn_at) if running else (None, None)
    if (case.sla_due_at, case.sla_warn_at) == (due, warn):
        return False
    case.sla_due_at, case.sla_warn_at = due, warn
    return True


CLOCK_FIELDS = [
    "policy_id",
    "state",
    "started_at",
    "paused_at",
    "pause_reason",
    "paused_business",
    "due_at",
    "warn_at",
    "check_at",
    "warned_at",
    "breached_at",
    "met_at",
]


@dataclass
class UnitRules:
    unit: OrgUnit
    policies: list[SlaPolicy]
    loaded: Schedule | None = None

    @property
    def schedule(self) -> Schedule:
        if self.loaded is None:
            self.loaded = schedule_for(self.unit)
        return self.loaded


def _rules(case: Case, known: dict[int, UnitRules]) -> UnitRules:
    if case.org_unit_id not in known:
        unit = case.org_unit if Case.org_unit.is_cached(case) else None
        unit = unit or OrgUnit.objects.get(pk=case.org_unit_id)
        known[case.org_unit_id] = UnitRules(unit, policies_for(unit))
    return known[case.org_unit_id]


# Changes after which no clock can need anything unless a policy applies to the case.
ROUTINE = frozenset({"case_created", "customer_wrote", "replied", "note_added", "assigned"})


def _values(clock: SlaClock) -> tuple[Any, ...]:
    return tuple(getattr(clock, name) for name in CLOCK_FIELDS)


def _write_clocks(clocks: list[SlaClock]) -> None:
    """Write changed clocks, in one statement on PostgreSQL (not a CASE per row and field)."""
    if not clocks:
        return
    if connection.vendor != "postgresql":
        SlaClock.objects.bulk_update(clocks, [f.removesuffix("_id") for f in CLOCK_FIELDS])
        return
    types = {
        "policy_id": "bigint",
        "state": "text",
        "pause_reason": "text",
        "paused_business": "interval",
    }
    columns = ", ".join(f"{name} = v.{name}" for name in CLOCK_FIELDS)
    arrays = ", ".join(f"%s::{types.get(name, 'timestamptz')}[]" for name in CLOCK_FIELDS)
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE desk_slaclock s SET {columns}"  # noqa: S608 (our own column names)
            f" FROM unnest(%s::bigint[], {arrays}) AS v(id, {', '.join(CLOCK_FIELDS)})"
            " WHERE s.id = v.id",
            [[c.pk for c in clocks], *([getattr(c, n) for c in clocks] for n in CLOCK_FIELDS)],
        )


def _save_soonest(cases: list[Case]) -> None:
    """Write the cases' soonest deadlines, in one statement on PostgreSQL."""
    if connection.vendor != "postgresql":
        for case in cases:
            Case.objects.filter(pk=case.pk).update(
                sla_due_at=case.sla_due_at, sla_warn_at=case.sla_warn_at
            )
        return
    if cases:
        with connection.cursor() as cursor:
            cursor.execute(
                "UPDATE desk_case c SET sla_due_at = v.due, sla_warn_at = v.warn"
                " FROM unnest(%s::bigint[], %s::timestamptz[], %s::timestamptz[])"
                " AS v(id, due, warn) WHERE c.id = v.id",
                [
                    [c.pk for c in cases],
                    [c.sla_due_at for c in cases],
                    [c.sla_warn_at for c in cases],
                ],
            )


def follow_changes(changes: Sequence[tuple[Case, str]]) -> None:
    """Keep the clocks of the changed cases true, given each change's kind."""
    by_case: dict[int, tuple[Case, list[str]]] = {}
    for case, kind in changes:
        by_case.setdefault(case.pk, (case, []))[1].append(kind)
    units: dict[int, UnitRules] = {}
    for case, _kinds in by_case.values():
        _rules(case, units)
    existing: dict[int, dict[str, SlaClock]] = {}
    clocks_of_cases = SlaClock.objects.filter(case_id__in=list(by_case))
    if not any(r.policies for r in units.values()):
        # Only clocks started under a policy that has changed since have anything to do,
        # and the job that follows a policy's change sees to the routine cases.
        routine = all(set(kinds) <= ROUTINE for _c, kinds in by_case.values())
        if routine or not clocks_of_cases.exists():
            return
    for clock in clocks_of_cases.select_related("policy"):
        existing.setdefault(clock.case_id, {})[clock.target] = clock
    now = timezone.now()
    new: list[SlaClock] = []
    changed: list[SlaClock] = []
    events: list[SlaEvent] = []
    moved: list[Case] = []
    for case, kinds in by_case.values():
        rules = units[case.org_unit_id]
        policy = policy_for(case, rules.policies)
        clocks = existing.get(case.pk, {})
        if policy is None and not clocks:
            continue
        ticks: list[Tick] = []
        before = {t: _values(c) for t, c in clocks.items() if c.pk}
        for kind in kinds:
            ticks += sync_case(case, clocks, policy, rules.schedule, kind=kind, now=now)
        for target, clock in clocks.items():
            _place(clock, rules.schedule)
            if not clock.pk:
                new.append(clock)
            elif before.get(target) != _values(clock):
                changed.append(clock)
        events += [event_row(case, tick) for tick in ticks]
        if _soonest(case, clocks.values()):
            moved.append(case)
    _save_soonest(moved)
    SlaClock.objects.bulk_create(new)
    _write_clocks(changed)
    SlaEvent.objects.bulk_create(events)
