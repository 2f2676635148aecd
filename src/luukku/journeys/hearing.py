"""What an arriving event means for an enrolment: a goal reached, an exit, the event a
step waits for, or a reason to look at a held step again. Pure: the reaction job and
the dry run both ask it."""

from __future__ import annotations

import datetime
from typing import Any

from luukku.journeys import definition as d
from luukku.journeys.engine import ACTIVE, EXITED, GOAL, State, end, move


def keyed_ok(defn: d.Definition, state: State, keyed: bool, payload: dict[str, Any]) -> bool:
    """A keyed goal or wait hears only the event about the enrolment's own key (the
    service, contract or case the person entered for)."""
    field = d.entry_key_field(defn.entry)
    if not keyed or not field:
        return True
    return str(payload.get(field, "")) == state.key


def exit_matches(exit: d.Exit, purpose: str | None, payload: dict[str, Any]) -> bool:
    if exit.kind == "consent_withdrawn":
        # A withdrawal for the journey's purpose, or of all marketing.
        return payload.get("purpose") in (None, purpose)
    if exit.kind == "left_segment":
        return payload.get("segment") == exit.segment
    return d.matches(exit.match, payload)


def hear(
    defn: d.Definition,
    state: State,
    type: str,
    payload: dict[str, Any],
    at: datetime.datetime,
    *,
    purpose: str | None = None,
) -> str | None:
    """Apply the event to the state; what it meant ("goal", "exit", "arrived",
    "wake"), or None."""
    if state.status != ACTIVE:
        return None
    if not state.context.get("goal"):
        for goal in defn.goals:
            if (
                goal.event_type == type
                and d.matches(goal.match, payload)
                and keyed_ok(defn, state, goal.keyed, payload)
            ):
                state.context["goal"] = type
                if goal.then:
                    move(state, goal.then, at)
                else:
                    end(state, GOAL, at)
                return "goal"
    for exit in defn.exits:
        if d.exit_event_type(exit) == type and exit_matches(exit, purpose, payload):
            state.context["exit"] = exit.kind if exit.kind != "event" else type
            end(state, EXITED, at)
            return "exit"
    step = defn.steps.get(state.step)
    if (
        isinstance(step, d.WaitEventStep)
        and state.context.get("waiting") == state.step
        and step.event_type == type
        and d.matches(step.match, payload)
        and keyed_ok(defn, state, step.keyed, payload)
    ):
        state.context["arrived"] = {"step": state.step, "at": at.isoformat()}
        state.due_at = at
        return "arrived"
    if type == "desk.status_changed" and state.held_since is not None and state.due_at is not None:
        state.due_at = at
        return "wake"
    return None
