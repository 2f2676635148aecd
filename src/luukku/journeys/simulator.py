"""The dry run: what a journey would do for one person (a real one, or made up) given
events at times, on a virtual clock, step by step, without sending or changing
anything. It moves the enrolment with the scheduler's own engine and hears events with
the reaction job's own rules, so what it shows is what would happen; the test suite
runs journeys through it without waiting days."""

from __future__ import annotations

import datetime
import zoneinfo
from dataclasses import dataclass, field
from typing import Any

from luukku.core.business_time import ALWAYS_OPEN, Schedule
from luukku.journeys import definition as d
from luukku.journeys.engine import ACTIVE, State, Taken, advance
from luukku.journeys.hearing import hear

HORIZON = datetime.timedelta(days=400)  # a plan stops here, however long its waits


@dataclass(frozen=True)
class VirtualEvent:
    at: datetime.datetime
    type: str
    payload: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Line:
    """One thing the journey would do, at a virtual time."""

    at: datetime.datetime
    step: str
    type: str  # a step's type, or "entered", "event", "goal", "exit", "ended"
    way: str
    detail: dict[str, Any] = field(default_factory=dict)


@dataclass
class Person:
    """What the dry run knows of the person: their fields, segments, consents and open
    cases (taken from a real person, or written for a made-up one)."""

    values: dict[str, Any] = field(default_factory=dict)
    segments: set[str] = field(default_factory=set)
    contactable: set[str] = field(default_factory=lambda: {"email", "sms"})
    open_cases: list[str] = field(default_factory=list)


class VirtualWorld:
    def __init__(self, person: Person, zone: Any, schedule: Schedule, messages: dict[int, str]):
        self.person = person
        self.zone = zone
        self.schedule = schedule
        self.messages = messages
        self.sent: dict[str, set[str]] = {}

    def value(self, state: State, condition: d.Condition) -> Any:
        if condition.kind == "entry":
            return state.context.get("entry", {}).get(condition.field)
        if condition.field.startswith("custom:"):
            custom = self.person.values.get("custom") or {}
            return custom.get(
                condition.field.removeprefix("custom:"), self.person.values.get(condition.field)
            )
        return self.person.values.get(condition.field)

    def in_segment(self, state: State, slug: str) -> bool:
        return slug in self.person.segments

    def may_contact(self, state: State, channel: str) -> bool:
        return channel in self.person.contactable

    def outcomes(self, state: State, step: str) -> set[str]:
        return self.sent.get(step, set())

    def held_by(self, state: State, hold: d.Hold) -> str:
        return self.person.open_cases[0] if self.person.open_cases else ""

    def act(self, state: State, step_id: str, step: Any) -> dict[str, Any]:
        if isinstance(step, d.SendStep):
            would = step.service or bool(self.person.contactable)
            self.sent[step_id] = {"queued", "sent", "delivered"} if would else {"skipped"}
            return {
                "message": step.message,
                "name": self.messages.get(step.message, ""),
                "would": "send" if would else "skip",
            }
        return {"would": step.type}


def dry_run(
    defn: d.Definition,
    *,
    person: Person,
    start: datetime.datetime,
    entry: dict[str, Any] | None = None,
    events: list[VirtualEvent] | None = None,
    zone: Any = None,
    schedule: Schedule = ALWAYS_OPEN,
    purpose: str | None = None,
    messages: dict[int, str] | None = None,
    horizon: datetime.timedelta = HORIZON,
) -> list[Line]:
    """The plan: each step the person would take, and when, until they leave the journey
    or the horizon."""
    zone = zone or zoneinfo.ZoneInfo("Europe/Oslo")
    world = VirtualWorld(person, zone, schedule, messages or {})
    key_field = d.entry_key_field(defn.entry)
    entry = entry or {}
    state = State(
        id=0,
        person_id=0,
        step=defn.start or "",
        key=str(entry.get(key_field, "")) if key_field else "",
        due_at=start,
        context={"entry": entry},
    )
    lines = [Line(start, "", "entered", "", {"key": state.key} if state.key else {})]
    waiting = sorted(events or [], key=lambda e: e.at)
    end = start + horizon
    for _ in range(10_000):
        if state.status != ACTIVE:
            break
        heard_first = waiting and (state.due_at is None or waiting[0].at < state.due_at)
        if heard_first:
            event = waiting.pop(0)
            if event.at > end:
                break
            at_step = state.step
            meant = hear(defn, state, event.type, event.payload, event.at, purpose=purpose)
            lines.append(
                Line(event.at, at_step, "event", meant or "ignored", {"event": event.type})
            )
            if meant == "goal":
                lines.append(Line(event.at, "", "goal", event.type))
            if meant is None:
                continue
            clock = event.at
        elif state.due_at is not None and state.due_at <= end:
            clock = state.due_at
        else:
            break
        lines += [_line(t) for t in advance(defn, state, world, clock)]
    if state.status != ACTIVE:
        assert state.ended_at is not None
        lines.append(Line(state.ended_at, "", "ended", state.status, _ending(state)))
    return lines


def _line(taken: Taken) -> Line:
    detail = dict(taken.detail)
    if isinstance(detail.get("until"), str):  # kept as text on the timeline
        detail["until"] = datetime.datetime.fromisoformat(detail["until"])
    return Line(taken.at, taken.step, taken.type, taken.way, detail)


def _ending(state: State) -> dict[str, Any]:
    found: dict[str, Any] = {}
    if state.context.get("exit"):
        found["reason"] = state.context["exit"]
    if state.held_seconds:
        found["held_seconds"] = state.held_seconds
    return found
