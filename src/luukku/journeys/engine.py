"""Moving one enrolment through its journey's steps: the same code for the scheduler, the
reaction to an event and the dry run on virtual time, which differ only in their
`World` (what is true of the person, what a step does) and their clock.

An enrolment's `step` is the step that acts next. A wait acts twice: when reached it
sets `due_at` (and, waiting for an event, `wait_event`) and the enrolment rests; when
its time comes, or the event arrives, it leaves by one of its ways. Every other step
acts at once and leads on, so one call moves an enrolment through every step until it
rests or ends. The steps taken are returned, for the timeline and the statistics.
"""

from __future__ import annotations

import datetime
import hashlib
from dataclasses import dataclass, field
from typing import Any, Protocol

from luukku.core.business_time import Schedule
from luukku.journeys import definition as d

# A person held by an open case is looked at again after this (and at once when one of
# their cases changes status).
HOLD_RECHECK = datetime.timedelta(minutes=30)
# More steps than this without resting is a loop the validation missed: stopped.
MAX_STEPS = 100

ACTIVE, COMPLETED, GOAL, EXITED = "active", "completed", "goal", "exited"


@dataclass
class State:
    """What the engine reads and changes of an enrolment."""

    id: int
    person_id: int
    step: str
    key: str = ""
    status: str = ACTIVE
    due_at: datetime.datetime | None = None
    wait_event: str = ""
    seq: int = 0
    context: dict[str, Any] = field(default_factory=dict)
    held_since: datetime.datetime | None = None
    held_reason: str = ""
    held_seconds: int = 0
    error: str = ""
    ended_at: datetime.datetime | None = None


@dataclass(frozen=True)
class Taken:
    """One step acted: left by `way` (next, yes, no, arrived, timeout, a split's path),
    or "waiting" when it began to wait, "held" or "resumed" around an open case."""

    step: str
    type: str
    way: str
    at: datetime.datetime
    detail: dict[str, Any] = field(default_factory=dict)


class World(Protocol):
    """What the engine asks and has done. The scheduler's world reads and writes the
    database in batches; the dry run's answers from what it was given and does nothing."""

    @property
    def zone(self) -> Any: ...  # the owning unit's time zone (zoneinfo)
    @property
    def schedule(self) -> Schedule: ...  # the owning unit's business calendar

    def value(self, state: State, condition: d.Condition) -> Any: ...
    def in_segment(self, state: State, slug: str) -> bool: ...
    def may_contact(self, state: State, channel: str) -> bool: ...
    def outcomes(self, state: State, step: str) -> set[str]: ...
    def held_by(self, state: State, hold: d.Hold) -> str: ...
    def act(self, state: State, step_id: str, step: Any) -> dict[str, Any]: ...


def advance(defn: d.Definition, state: State, world: World, now: datetime.datetime) -> list[Taken]:
    """Act the enrolment's steps that are due at `now`, until it rests or ends."""
    taken: list[Taken] = []
    for _ in range(MAX_STEPS):
        if state.status != ACTIVE:
            return taken
        if not state.step:
            end(state, COMPLETED, now)
            return taken
        step = defn.steps.get(state.step)
        if step is None:
            state.error = f"No step {state.step} in this version."
            end(state, EXITED, now)
            return taken
        if _held(defn, state, step, world, now, taken):
            return taken
        way, detail = _act(defn, state, step, world, now)
        if way == "waiting" or way == "resting":
            if way == "waiting":
                taken.append(Taken(state.step, step.type, way, now, detail))
            return taken
        taken.append(Taken(state.step, step.type, way, now, detail))
        if state.status == ACTIVE:
            move(state, dict(d.successors(step)).get(way), now)
    state.error = f"Stopped after {MAX_STEPS} steps without a wait at {state.step}."
    state.due_at = None
    return taken


def move(state: State, target: str | None, now: datetime.datetime) -> None:
    """On to `target` (the end when None), due at once; a hold on the step left ends."""
    release(state, now)
    state.context.pop("waiting", None)
    state.context.pop("arrived", None)
    state.wait_event = ""
    state.seq += 1
    if target is None:
        end(state, COMPLETED, now)
        return
    state.step, state.due_at = target, now


def end(state: State, status: str, now: datetime.datetime) -> None:
    """Out of the journey: completed (a goal's branch completed counts as the goal),
    reached the goal, or exited."""
    if status == COMPLETED and state.context.get("goal"):
        status = GOAL
    state.status, state.ended_at, state.due_at, state.wait_event = status, now, None, ""
    release(state, now)


def release(state: State, now: datetime.datetime) -> int:
    """End a hold, adding its length to the time held; the seconds it lasted."""
    if state.held_since is None:
        return 0
    held = max(0, int((now - state.held_since).total_seconds()))
    state.held_seconds += held
    state.held_since, state.held_reason = None, ""
    return held


def _held(
    defn: d.Definition,
    state: State,
    step: Any,
    world: World,
    now: datetime.datetime,
    taken: list[Taken],
) -> bool:
    """Marketing steps wait while the person has an open case the journey names."""
    if not (defn.hold.active and step.type in d.MARKETING and not getattr(step, "service", False)):
        release(state, now)  # a hold from before (a version moved to) ends here
        return False
    reason = world.held_by(state, defn.hold)
    if reason:
        if state.held_since is None:
            state.held_since, state.held_reason = now, reason
            taken.append(Taken(state.step, step.type, "held", now, {"reason": reason}))
        state.due_at = now + HOLD_RECHECK
        return True
    if state.held_since is not None:
        held = release(state, now)
        taken.append(Taken(state.step, step.type, "resumed", now, {"held_seconds": held}))
    return False


def _act(
    defn: d.Definition, state: State, step: Any, world: World, now: datetime.datetime
) -> tuple[str, dict[str, Any]]:
    """The way the step leaves by, with what it did; "waiting" when it begins to wait,
    "resting" when it is waiting and its time has not come."""
    if isinstance(step, d.WaitStep | d.WaitUntilStep | d.WaitEventStep):
        return _wait(state, step, world, now)
    if isinstance(step, d.BranchStep):
        yes = all(_holds(c, state, world) for c in step.all)
        return ("yes" if yes else "no"), {}
    if isinstance(step, d.SplitStep):
        roll, edge = _roll(state), 0
        for n, path in enumerate(step.paths):
            edge += path.percent
            if roll < edge:
                return d.path_way(path, n), {}
        return d.path_way(step.paths[-1], len(step.paths) - 1), {}
    if isinstance(step, d.EndStep):
        end(state, COMPLETED, now)
        return "end", {}
    return "next", world.act(state, state.step, step)


def _wait(
    state: State, step: Any, world: World, now: datetime.datetime
) -> tuple[str, dict[str, Any]]:
    waiting = state.context.get("waiting") == state.step
    arrived = state.context.get("arrived")
    if isinstance(step, d.WaitEventStep) and arrived and arrived.get("step") == state.step:
        return "arrived", {"event": step.event_type, "arrived_at": arrived.get("at")}
    if waiting:
        if state.due_at is not None and state.due_at <= now:
            return ("timeout" if isinstance(step, d.WaitEventStep) else "next"), {}
        return "resting", {}
    until = wait_end(state, step, world, now)
    if until is not None and until <= now and not isinstance(step, d.WaitEventStep):
        return "next", {}
    state.context["waiting"] = state.step
    state.due_at = until
    state.wait_event = step.event_type if isinstance(step, d.WaitEventStep) else ""
    return "waiting", {"until": until.isoformat() if until else None}


def wait_end(
    state: State, step: Any, world: World, now: datetime.datetime
) -> datetime.datetime | None:
    """When a wait that begins now ends (None: an event wait without a timeout)."""
    if isinstance(step, d.WaitEventStep):
        return add_days(now, step.timeout, world.zone) if step.timeout is not None else None
    if isinstance(step, d.WaitUntilStep):
        return next_time_of_day(now, step.time, step.weekdays, world.zone)
    if step.business_days:
        return add_business_days(world.schedule, now, step.duration)
    return add_days(now, step.duration, world.zone)


def add_days(now: datetime.datetime, duration: d.Duration, zone: Any) -> datetime.datetime:
    """Days on the calendar of `zone` (the same wall time, across clock changes), then
    the hours and minutes."""
    from luukku.core.business_time import instant

    moment = now
    if duration.days:
        local = now.astimezone(zone)
        day = local.date() + datetime.timedelta(days=duration.days)
        moment = instant(day, local.time().replace(tzinfo=None), zone)
    return moment + datetime.timedelta(hours=duration.hours, minutes=duration.minutes)


def next_time_of_day(
    now: datetime.datetime, at: datetime.time, weekdays: list[int], zone: Any
) -> datetime.datetime:
    """The first moment at or after `now` showing `at` on one of `weekdays` (any when
    empty) in `zone`, across clock changes."""
    from luukku.core.business_time import instant

    day = now.astimezone(zone).date()
    for _ in range(8):
        if not weekdays or day.weekday() in weekdays:
            moment = instant(day, at, zone)
            if moment >= now:
                return moment
        day += datetime.timedelta(days=1)
    raise ValueError("no such day")  # unreachable: weekdays are 0-6


def add_business_days(
    schedule: Schedule, now: datetime.datetime, duration: d.Duration
) -> datetime.datetime:
    """The same wall time `duration.days` open days later (a day the unit opens at all),
    plus its hours and minutes."""
    from luukku.core.business_time import instant

    local = now.astimezone(schedule.zone)
    day, left = local.date(), duration.days
    for _ in range(3660):
        if not left:
            break
        day += datetime.timedelta(days=1)
        if schedule.hours_on(day):
            left -= 1
    moment = instant(day, local.time().replace(tzinfo=None), schedule.zone)
    return moment + datetime.timedelta(hours=duration.hours, minutes=duration.minutes)


def _roll(state: State) -> float:
    """A share in [0, 100) fixed by the enrolment and its step count, so a split sends a
    person the same way however often the step is computed (a retried batch, a dry run)."""
    digest = hashlib.blake2b(f"{state.id}:{state.step}:{state.seq}".encode(), digest_size=8)
    return int.from_bytes(digest.digest(), "big") % 10000 / 100


def _holds(condition: d.Condition, state: State, world: World) -> bool:
    if condition.kind == "segment":
        return world.in_segment(state, condition.segment)
    if condition.kind == "consent":
        return world.may_contact(state, condition.channel or "email")
    if condition.kind == "outcome":
        return condition.outcome in world.outcomes(state, condition.step)
    have = world.value(state, condition)
    return compare(condition.op, have, condition.value)


def compare(op: str, have: Any, wanted: Any) -> bool:
    """A field's value against a condition's, numbers and text alike as far as sensible."""
    if op == "exists":
        return have not in (None, "", [])
    if op == "missing":
        return have in (None, "", [])
    if have is None:
        return op == "ne"
    if op == "in":
        options = wanted if isinstance(wanted, list) else [wanted]
        return any(str(have) == str(option) for option in options)
    if op == "contains":
        return str(wanted).lower() in str(have).lower()
    if op in ("gt", "lt"):
        try:
            left, right = float(have), float(wanted)
        except (TypeError, ValueError):
            left, right = str(have), str(wanted)  # type: ignore[assignment]
        return left > right if op == "gt" else left < right
    same = have == wanted or str(have) == str(wanted)
    return same if op == "eq" else not same
