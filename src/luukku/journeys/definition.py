"""What a journey version says: how persons enter, the steps (a graph by step id), the
goals that end it early, the exits, and what holds its marketing steps.

A version's definition is stored as JSON and read through these models, which refuse
unknown fields and wrong types with the path of the mistake. `validation.py` checks
what a type cannot say (a step pointing nowhere, a loop without a wait, content that
does not render)."""

from __future__ import annotations

import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

StepId = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")]
Scalar = str | int | float | bool | None


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Duration(Strict):
    days: int = Field(0, ge=0, le=3650)
    hours: int = Field(0, ge=0, le=24 * 3650)
    minutes: int = Field(0, ge=0, le=60 * 24 * 3650)

    def delta(self) -> datetime.timedelta:
        return datetime.timedelta(days=self.days, hours=self.hours, minutes=self.minutes)

    def __str__(self) -> str:
        parts = [(self.days, "d"), (self.hours, "h"), (self.minutes, "min")]
        return " ".join(f"{n} {unit}" for n, unit in parts if n) or "0"


Match = dict[str, Scalar]  # payload field: the value it must have


class EventEntry(Strict):
    kind: Literal["event"] = "event"
    event_type: str = Field(min_length=1, max_length=100)
    match: Match = Field(default_factory=dict)
    key: str = Field("", max_length=64, description="Payload field that keys the enrolment.")


class SegmentEntry(Strict):
    kind: Literal["segment"]
    segment: str = Field(min_length=1, description="The segment's short name.")


class CaseEntry(Strict):
    kind: Literal["case"]
    status: Literal["new", "open", "pending_customer", "pending_third_party", "resolved", "closed"]
    queue: str = Field("", description="The queue's short name; empty: any queue.")


class DateEntry(Strict):
    kind: Literal["date"]
    field: str = Field(
        min_length=1, description="date_of_birth, or a custom date field as custom:<key>."
    )
    offset_days: int = Field(0, ge=-366, le=366)
    yearly: bool = Field(False, description="Every year on the day (a birthday).")
    time: datetime.time = datetime.time(9, 0)


class ManualEntry(Strict):
    kind: Literal["manual"]


Entry = Annotated[
    EventEntry | SegmentEntry | CaseEntry | DateEntry | ManualEntry, Field(discriminator="kind")
]


class Reentry(Strict):
    policy: Literal["never", "after_days", "always"] = "never"
    days: int = Field(0, ge=0, le=3650)


class Goal(Strict):
    event_type: str = Field(min_length=1, max_length=100)
    match: Match = Field(default_factory=dict)
    keyed: bool = Field(False, description="Only an event whose key field equals the entry key.")
    then: StepId | None = Field(None, description="A step to run at once (a thank-you).")


class Exit(Strict):
    kind: Literal["event", "consent_withdrawn", "left_segment"]
    event_type: str = ""
    match: Match = Field(default_factory=dict)
    segment: str = ""


class Hold(Strict):
    """Hold marketing steps while the person has an open case of these categories (ids;
    their subcategories too), or any open case when `any_open_case`."""

    categories: list[int] = Field(default_factory=list)
    any_open_case: bool = False

    @property
    def active(self) -> bool:
        return bool(self.categories) or self.any_open_case


class Condition(Strict):
    kind: Literal["field", "entry", "segment", "consent", "outcome"]
    field: str = ""  # a person field, custom:<key>, or an entry payload field
    op: Literal["eq", "ne", "in", "exists", "missing", "gt", "lt", "contains"] = "eq"
    value: Any = None
    segment: str = ""
    channel: Literal["email", "sms", ""] = ""
    step: str = ""  # for an outcome: the send step
    outcome: Literal["queued", "delivered", "opened", "clicked", "skipped", ""] = ""


class StepBase(Strict):
    label: str = Field("", max_length=120)


class SendStep(StepBase):
    type: Literal["send"]
    message: int = Field(description="The journey message (a campaign of kind journey).")
    service: bool = Field(
        False, description="A service message: needs no consent; not held, not capped."
    )
    next: StepId | None = None


class WaitStep(StepBase):
    type: Literal["wait"]
    duration: Duration
    business_days: bool = Field(False, description="Days the owning unit is open.")
    next: StepId | None = None


class WaitUntilStep(StepBase):
    type: Literal["wait_until"]
    time: datetime.time
    weekdays: list[int] = Field(default_factory=list, description="0 is Monday; empty: any day.")
    next: StepId | None = None

    @field_validator("weekdays")
    @classmethod
    def _days(cls, days: list[int]) -> list[int]:
        if any(d < 0 or d > 6 for d in days):
            raise ValueError("weekdays are 0 (Monday) to 6 (Sunday)")
        return sorted(set(days))


class WaitEventStep(StepBase):
    type: Literal["wait_event"]
    event_type: str = Field(min_length=1, max_length=100)
    match: Match = Field(default_factory=dict)
    keyed: bool = Field(False, description="Only an event whose key field equals the entry key.")
    timeout: Duration | None = None
    next: StepId | None = None  # the event arrived
    timeout_next: StepId | None = None


class BranchStep(StepBase):
    type: Literal["branch"]
    all: list[Condition] = Field(min_length=1)
    yes: StepId | None = None
    no: StepId | None = None


class SplitPath(Strict):
    percent: int = Field(ge=0, le=100)
    next: StepId | None = None
    label: str = Field("", max_length=60)


class SplitStep(StepBase):
    type: Literal["split"]
    paths: list[SplitPath] = Field(min_length=2, max_length=10)


class UpdateFieldStep(StepBase):
    type: Literal["update_field"]
    field: str = Field(min_length=1)
    value: Scalar
    next: StepId | None = None


class SegmentStep(StepBase):
    type: Literal["segment_add", "segment_remove"]
    segment: str = Field(min_length=1)
    next: StepId | None = None


class CaseStep(StepBase):
    type: Literal["create_case"]
    queue: str = Field(min_length=1, description="The queue's short name.")
    subject: str = Field(min_length=1, max_length=300)
    note: str = Field("", max_length=5000)
    priority: Literal["low", "normal", "high", "urgent"] = "normal"
    assignee: str = Field("", description="A task for this agent (username); empty: the queue's.")
    next: StepId | None = None


class WebhookStep(StepBase):
    type: Literal["webhook"]
    endpoint: int = Field(description="A webhook endpoint; signed and retried as all are.")
    next: StepId | None = None


class EndStep(StepBase):
    type: Literal["end"]


Step = Annotated[
    SendStep
    | WaitStep
    | WaitUntilStep
    | WaitEventStep
    | BranchStep
    | SplitStep
    | UpdateFieldStep
    | SegmentStep
    | CaseStep
    | WebhookStep
    | EndStep,
    Field(discriminator="type"),
]

WAITS = ("wait", "wait_until", "wait_event")
# Steps that speak to the person for the journey's purpose; held while a case is open.
MARKETING = ("send",)


class Definition(Strict):
    entry: Entry = Field(default_factory=lambda: ManualEntry(kind="manual"))
    reentry: Reentry = Field(default_factory=lambda: Reentry(policy="never", days=0))
    goals: list[Goal] = Field(default_factory=list)
    exits: list[Exit] = Field(default_factory=list)
    hold: Hold = Field(default_factory=lambda: Hold())
    start: StepId | None = None
    steps: dict[StepId, Step] = Field(default_factory=dict)

    def step(self, step_id: str) -> Any:
        return self.steps[step_id]

    def event_types(self) -> set[str]:
        """Every event type this version reacts to once someone is inside."""
        types = {g.event_type for g in self.goals}
        types |= {s.event_type for s in self.steps.values() if isinstance(s, WaitEventStep)}
        for exit in self.exits:
            types.add(exit_event_type(exit))
        if self.hold.active:
            types.add("desk.status_changed")
        return types


def exit_event_type(exit: Exit) -> str:
    if exit.kind == "consent_withdrawn":
        return "consent.withdrawn"
    if exit.kind == "left_segment":
        return "segment.exited"
    return exit.event_type


def entry_event(entry: Any) -> tuple[str, Match] | None:
    """The event type and payload match that enrol, for entries that are events."""
    if isinstance(entry, EventEntry):
        return entry.event_type, dict(entry.match)
    if isinstance(entry, SegmentEntry):
        return "segment.entered", {"segment": entry.segment}
    if isinstance(entry, CaseEntry):
        match: Match = {"status": entry.status}
        if entry.queue:
            match["queue"] = entry.queue
        return "desk.status_changed", match
    return None


def entry_key_field(entry: Any) -> str:
    if isinstance(entry, EventEntry):
        return entry.key
    if isinstance(entry, CaseEntry):
        return "case"
    return ""


def successors(step: Any) -> list[tuple[str, str | None]]:
    """(way, next step id) for each way out of a step."""
    if isinstance(step, WaitEventStep):
        return [("arrived", step.next), ("timeout", step.timeout_next)]
    if isinstance(step, BranchStep):
        return [("yes", step.yes), ("no", step.no)]
    if isinstance(step, SplitStep):
        return [(path_way(p, n), p.next) for n, p in enumerate(step.paths)]
    if isinstance(step, EndStep):
        return []
    return [("next", step.next)]


def path_way(path: SplitPath, n: int) -> str:
    """A split's way by its path's name, or its place and share."""
    return path.label or f"{n + 1}: {path.percent}%"


def parse(raw: dict[str, Any]) -> Definition:
    return Definition.model_validate(raw)


def problems_in(raw: Any) -> list[tuple[str, str]]:
    """(where, what) for each mistake of form, or nothing."""
    try:
        Definition.model_validate(raw)
    except ValidationError as error:
        return [
            (".".join(str(p) for p in e["loc"]), e["msg"]) for e in error.errors(include_url=False)
        ]
    return []


def matches(match: Match, payload: dict[str, Any]) -> bool:
    """Every field of `match` has its value in the payload (numbers and their text alike:
    an id may arrive as 42 or "42")."""
    for field, wanted in match.items():
        if field not in payload:
            return False
        have = payload[field]
        if have != wanted and str(have) != str(wanted):
            return False
    return True
