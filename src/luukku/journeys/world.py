"""The scheduler's world: what is true of a batch of persons, read once per batch and
question, and what the steps do, gathered and written together when the batch is
stored, in the transaction that moves the enrolments on (so a step's effect and the
step being taken commit together or not at all)."""

from __future__ import annotations

import zoneinfo
from collections import defaultdict
from functools import cached_property
from typing import Any

from luukku.campaigns.models import Campaign, Delivery
from luukku.campaigns.personal import Wanted, queue_messages
from luukku.core.actions.calendars import schedule_for
from luukku.core.business_time import Schedule
from luukku.core.models import WebhookDelivery, WebhookEndpoint
from luukku.core.webhooks import deliver_webhook
from luukku.customers.actions.parties import update_party
from luukku.customers.models import Person
from luukku.desk.models import Case, CaseChannel, Category, Direction, Queue, StatusCategory
from luukku.journeys import definition as d
from luukku.journeys.engine import State
from luukku.journeys.models import Journey, Version
from luukku.segments.compiler import contactable
from luukku.segments.membership import add_static, remove_static
from luukku.segments.models import Membership, Segment

PERSON_FIELDS = (
    "first_name",
    "last_name",
    "full_name",
    "date_of_birth",
    "gender",
    "preferred_language",
    "preferred_channel",
)
OPEN = [StatusCategory.NEW, StatusCategory.OPEN, "pending_customer", "pending_third_party"]


def occurrence(state: State) -> str:
    """Names one visit of an enrolment to a send step (its step count then): its outbox
    row's key."""
    return f"j{state.id}:{state.seq}"


class DatabaseWorld:
    def __init__(self, journey: Journey, version: Version, states: list[State]) -> None:
        self.journey = journey
        self.version = version
        self.states = states
        self.person_ids = sorted({s.person_id for s in states})
        self._segments: dict[str, set[int]] = {}
        self._consent: dict[str, set[int]] = {}
        self._outcomes: dict[int, set[str]] | None = None
        # (message, service): [(state, step id, occurrence, detail)]
        self._sends: dict[tuple[int, bool], list[tuple[State, str, str, dict[str, Any]]]] = (
            defaultdict(list)
        )
        self._later: list[tuple[State, str, Any]] = []
        self.errors: dict[int, BaseException] = {}
        self._held: dict[int, str] | None = None

    @cached_property
    def zone(self) -> Any:
        return zoneinfo.ZoneInfo(self.journey.org_unit.time_zone or "Europe/Oslo")

    @cached_property
    def schedule(self) -> Schedule:
        return schedule_for(self.journey.org_unit)

    @cached_property
    def persons(self) -> dict[int, dict[str, Any]]:
        rows = Person.objects.filter(pk__in=self.person_ids).values("pk", "custom", *PERSON_FIELDS)
        return {row["pk"]: row for row in rows}

    def value(self, state: State, condition: d.Condition) -> Any:
        if condition.kind == "entry":
            return state.context.get("entry", {}).get(condition.field)
        return person_value(self.persons.get(state.person_id, {}), condition.field)

    def in_segment(self, state: State, slug: str) -> bool:
        if slug not in self._segments:
            self._segments[slug] = set(
                Membership.objects.filter(
                    segment__slug=slug, person_id__in=self.person_ids
                ).values_list("person_id", flat=True)
            )
        return state.person_id in self._segments[slug]

    def may_contact(self, state: State, channel: str) -> bool:
        purpose = self.journey.purpose
        if purpose is None:
            return False
        if channel not in self._consent:
            allowed = Person.objects.filter(contactable(purpose, channel), pk__in=self.person_ids)
            self._consent[channel] = set(allowed.values_list("pk", flat=True))
        return state.person_id in self._consent[channel]

    def outcomes(self, state: State, step: str) -> set[str]:
        if self._outcomes is None:
            groups = [g for s in self.states for g in s.context.get("sent", {}).values()]
            flat = [i for group in groups for i in group]
            self._outcomes = {}
            for row in Delivery.objects.filter(pk__in=flat).values(
                "pk", "status", "opened_at", "clicked_at"
            ):
                self._outcomes[row["pk"]] = delivery_outcomes(dict(row))
        found: set[str] = set()
        for delivery_id in state.context.get("sent", {}).get(step, []):
            found |= self._outcomes.get(delivery_id, set())
        return found

    def held_by(self, state: State, hold: d.Hold) -> str:
        if self._held is None:
            cases = Case.objects.filter(person_id__in=self.person_ids, status__in=OPEN)
            if not hold.any_open_case:
                cases = cases.filter(category__in=_subtree(hold.categories))
            self._held = {}
            for person_id, number, category in cases.values_list(
                "person_id", "number", "category__name"
            ):
                self._held.setdefault(person_id, held_reason(number, category))
        return self._held.get(state.person_id, "")

    def act(self, state: State, step_id: str, step: Any) -> dict[str, Any]:
        detail: dict[str, Any] = {}
        if isinstance(step, d.SendStep):
            key = (step.message, step.service)
            self._sends[key].append((state, step_id, occurrence(state), detail))
        else:
            self._later.append((state, step_id, step))
        return detail

    def flush(self, *, only: int | None = None) -> None:
        """Write what the steps did (of one enrolment with `only`), in the caller's
        transaction."""
        for (message, service), found in self._sends.items():
            items = [item for item in found if only is None or item[0].id == only]
            if not items:
                continue
            campaign = Campaign.objects.select_related("org_unit", "purpose").get(
                pk=message, kind=Campaign.Kind.JOURNEY
            )
            queued = queue_messages(
                campaign, [Wanted(s.person_id, key) for s, _, key, _ in items], service=service
            )
            for state, step_id, key, detail in items:
                rows = queued.get(key, [])
                state.context.setdefault("sent", {})[step_id] = [r.delivery_id for r in rows]
                detail["message"] = message
                detail["deliveries"] = [
                    {"channel": r.channel, "status": r.status, "reason": r.reason} for r in rows
                ]
        later = [item for item in self._later if only is None or item[0].id == only]
        segments: dict[tuple[str, str], list[int]] = defaultdict(list)
        for state, step_id, step in later:
            if isinstance(step, d.SegmentStep):  # one change of the segment for the batch
                segments[(step.type, step.segment)].append(state.person_id)
            else:
                _do(step, step_id, state, self.journey)
        for (kind, slug), person_ids in segments.items():
            segment = Segment.objects.get(slug=slug)
            (add_static if kind == "segment_add" else remove_static)(segment, person_ids)


def held_reason(number: int, category: str | None) -> str:
    """Which case holds a person: its number and category, never its subject (marketers
    read it; a case may be about anything)."""
    return f"#{number} ({category})" if category else f"#{number}"


def person_value(person: dict[str, Any], field: str) -> Any:
    if field.startswith("custom:"):
        return (person.get("custom") or {}).get(field.removeprefix("custom:"))
    return person.get(field)


def delivery_outcomes(row: dict[str, Any]) -> set[str]:
    found = {row["status"]}
    if row["status"] in ("sent", "delivered"):
        found.add("delivered" if row["status"] == "delivered" else "sent")
    if row["opened_at"] is not None:
        found |= {"opened", "delivered"}
    if row["clicked_at"] is not None:
        found |= {"clicked", "opened", "delivered"}
    return found


def _subtree(category_ids: list[int]) -> set[int]:
    """The categories and every one below them."""
    found, edge = set(category_ids), set(category_ids)
    while edge:
        edge = set(Category.objects.filter(parent__in=edge).values_list("pk", flat=True)) - found
        found |= edge
    return found


def _do(step: Any, step_id: str, state: State, journey: Journey) -> None:
    """The steps that change a person's field, open a case or call a webhook, one person
    at a time."""
    if isinstance(step, d.UpdateFieldStep):
        person = Person.objects.get(pk=state.person_id)
        if step.field.startswith("custom:"):
            update_party(
                person, values={}, custom={step.field.removeprefix("custom:"): step.value}, by=None
            )
        else:
            update_party(person, values={step.field: step.value}, by=None)
    elif isinstance(step, d.CaseStep):
        _open_case(step, state)
    elif isinstance(step, d.WebhookStep):
        # Looked up (not only named) so that a deleted endpoint fails here, in this
        # person's savepoint, not at commit with its deferred foreign key check.
        endpoint = WebhookEndpoint.objects.get(pk=step.endpoint)
        delivery = WebhookDelivery.objects.create(
            endpoint=endpoint,
            event="journey.step",
            payload={
                "journey": journey.pk,
                "step": step_id,
                "person_id": state.person_id,
                "key": state.key,
            },
        )
        deliver_webhook.enqueue(delivery.pk)  # in this transaction: durable with the step


def _open_case(step: d.CaseStep, state: State) -> None:
    from luukku.core.models import User
    from luukku.desk.changes import NewMessage
    from luukku.desk.services import assign_case, open_case

    queue = Queue.objects.select_related("org_unit").get(slug=step.queue)
    person = Person.objects.get(pk=state.person_id)
    first = NewMessage(text=step.note) if step.note else None
    case = open_case(
        queue=queue,
        subject=step.subject,
        by=None,
        channel=CaseChannel.API,
        person=person,
        priority=step.priority,
        first=first,
        first_direction=Direction.NOTE,
    )
    if step.assignee:  # a task for this agent: taken by them, as if they had claimed it
        agent = User.objects.get(username=step.assignee)
        assign_case(case, to=agent, by=agent, version=None)
