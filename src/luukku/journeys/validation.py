"""Checks a version must pass before persons may enter it, each problem named with its
step: a way out that points nowhere, a step nobody can reach, a loop without a wait, a
wait for an event without a timeout, a message without content or whose content does
not render, a segment, queue or endpoint that does not exist."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext as _

from luukku.journeys import definition as d


@dataclass(frozen=True)
class Problem:
    step: str  # "" for the journey as a whole
    message: str

    def __str__(self) -> str:
        return f"{self.step}: {self.message}" if self.step else self.message


def problems(raw: Any, *, purpose: Any = None, unit: Any = None) -> list[Problem]:
    """Everything wrong with a definition, in order of the steps. With the journey's
    `unit`, what the steps name must be of that unit's branch of the tree (a unit above
    it or below it): a journey of Housing sends Housing's messages, not Health's."""
    form = d.problems_in(raw)
    if form:
        return [Problem(_step_of(where), f"{where}: {what}") for where, what in form]
    defn = d.parse(raw)
    found = _graph(defn)
    found += _references(defn, purpose, unit)
    found += _entry_problems(defn)
    return found


def in_branch(unit: Any, other_path: str | None) -> bool:
    """Whether a unit with `other_path` is `unit`, above it or below it."""
    if unit is None or other_path is None:
        return unit is None
    return other_path.startswith(unit.path) or unit.path.startswith(other_path)


def _entry_problems(defn: d.Definition) -> list[Problem]:
    from luukku.customers.models import CustomField

    entry = defn.entry
    if not isinstance(entry, d.DateEntry):
        return []
    if entry.field == "date_of_birth":
        return []
    key = entry.field.removeprefix("custom:")
    is_date = CustomField.objects.filter(
        entity=CustomField.Entity.PERSON, key=key, kind=CustomField.Kind.DATE
    ).exists()
    if entry.field.startswith("custom:") and is_date:
        return []
    return [Problem("", _("%(field)s is not a date field of persons.") % {"field": entry.field})]


def _step_of(where: str) -> str:
    parts = where.split(".")
    return parts[1] if len(parts) > 1 and parts[0] == "steps" else ""


def _graph(defn: d.Definition) -> list[Problem]:
    found: list[Problem] = []
    if not defn.steps:
        return [Problem("", _("The journey has no steps."))]
    if defn.start is None or defn.start not in defn.steps:
        found.append(Problem("", _("Choose the first step.")))
    for step_id, step in defn.steps.items():
        for way, target in d.successors(step):
            if target is not None and target not in defn.steps:
                found.append(
                    Problem(
                        step_id,
                        _("The way “%(way)s” leads to no step %(target)s.")
                        % {"way": way, "target": target},
                    )
                )
        if isinstance(step, d.WaitEventStep) and step.timeout is None:
            found.append(Problem(step_id, _("A wait for an event needs a timeout.")))
        if (
            isinstance(step, d.WaitEventStep)
            and step.timeout is not None
            and not step.timeout.delta()
        ):
            found.append(Problem(step_id, _("The timeout must be longer than nothing.")))
        if isinstance(step, d.SplitStep) and sum(p.percent for p in step.paths) != 100:
            found.append(Problem(step_id, _("The split's shares must add up to 100 %.")))
        if isinstance(step, d.SplitStep):
            ways = [way for way, _target in d.successors(step)]
            for way in sorted({w for w in ways if ways.count(w) > 1}):
                found.append(Problem(step_id, _("Two paths are named “%(way)s”.") % {"way": way}))
        if isinstance(step, d.WaitStep) and not step.duration.delta():
            found.append(Problem(step_id, _("The wait must be longer than nothing.")))
    for goal in defn.goals:
        if goal.then is not None and goal.then not in defn.steps:
            found.append(
                Problem(
                    "",
                    _("The goal %(event)s leads to no step %(target)s.")
                    % {"event": goal.event_type, "target": goal.then},
                )
            )
        if goal.keyed and not d.entry_key_field(defn.entry):
            found.append(
                Problem(
                    "",
                    _("The goal %(event)s is keyed, but the entry has no key.")
                    % {"event": goal.event_type},
                )
            )
    found += _unreachable(defn)
    found += _loops(defn)
    return found


def _unreachable(defn: d.Definition) -> list[Problem]:
    roots = [defn.start] + [g.then for g in defn.goals]
    seen: set[str] = set()
    edge = [r for r in roots if r in defn.steps]
    while edge:
        step_id = edge.pop()
        if step_id in seen:
            continue
        seen.add(step_id)
        edge += [t for _, t in d.successors(defn.steps[step_id]) if t in defn.steps]
    return [
        Problem(step_id, _("No way leads to this step."))
        for step_id in defn.steps
        if step_id not in seen
    ]


def _loops(defn: d.Definition) -> list[Problem]:
    """A cycle of steps none of which waits would run without end."""
    instant = {s for s, step in defn.steps.items() if step.type not in d.WAITS}
    found: list[Problem] = []
    state: dict[str, int] = {}  # 1 on the path, 2 done

    def visit(step_id: str, path: list[str]) -> None:
        state[step_id] = 1
        for _way, target in d.successors(defn.steps[step_id]):
            if target not in instant:
                continue
            if state.get(target) == 1:
                loop = [*path[path.index(target) :], step_id] if target in path else [step_id]
                found.append(
                    Problem(
                        target,
                        _("A loop without a wait: %(steps)s.")
                        % {"steps": " → ".join(dict.fromkeys([*loop, target]))},
                    )
                )
            elif target not in state:
                visit(target, [*path, step_id])
        state[step_id] = 2

    for step_id in sorted(instant):
        if step_id not in state:
            visit(step_id, [])
    return found


def _references(defn: d.Definition, purpose: Any, unit: Any) -> list[Problem]:
    from luukku.campaigns.models import Campaign
    from luukku.core.models import WebhookEndpoint
    from luukku.segments.models import Segment

    found: list[Problem] = []
    segments = _segment_slugs(defn)
    known = {
        slug
        for slug, path in Segment.objects.filter(slug__in=list(segments.values())).values_list(
            "slug", "org_unit__path"
        )
        if in_branch(unit, path)
    }
    for where, slug in segments.items():
        if slug not in known:
            found.append(Problem(where, _("No segment %(slug)s.") % {"slug": slug}))
    for step_id, step in defn.steps.items():
        if isinstance(step, d.SendStep):
            message = (
                Campaign.objects.filter(pk=step.message, kind=Campaign.Kind.JOURNEY)
                .select_related("org_unit")
                .first()
            )
            if message is None or not in_branch(unit, message.org_unit.path):
                found.append(Problem(step_id, _("The message does not exist.")))
                continue
            found += [Problem(step_id, p) for p in _message_problems(message)]
            if purpose is None and not step.service:
                found.append(
                    Problem(step_id, _("Choose the journey's purpose: its messages need one."))
                )
        elif isinstance(step, d.CaseStep):
            found += [Problem(step_id, p) for p in _case_problems(step, unit)]
        elif isinstance(step, d.SegmentStep):
            kind = Segment.objects.filter(slug=step.segment).values_list("kind", flat=True).first()
            if kind is not None and kind != Segment.Kind.STATIC:
                found.append(
                    Problem(step_id, _("Only a static segment's members are added or removed."))
                )
        elif isinstance(step, d.WebhookStep):
            endpoint = (
                WebhookEndpoint.objects.filter(pk=step.endpoint, is_active=True)
                .select_related("org_unit")
                .first()
            )
            path = endpoint.org_unit.path if endpoint and endpoint.org_unit else None
            if endpoint is None or (endpoint.org_unit and not in_branch(unit, path)):
                found.append(Problem(step_id, _("No such webhook endpoint.")))
        elif isinstance(step, d.UpdateFieldStep):
            found += [Problem(step_id, p) for p in _field_problems(step.field, step.value)]
    return found


def _case_problems(step: d.CaseStep, unit: Any) -> list[str]:
    from luukku.core.access import Perm
    from luukku.core.models import User
    from luukku.desk.access import queues_visible_to
    from luukku.desk.models import Queue

    queue = Queue.objects.filter(slug=step.queue).select_related("org_unit").first()
    if queue is None or not in_branch(unit, queue.org_unit.path):
        return [_("No queue %(slug)s.") % {"slug": step.queue}]
    if step.assignee:
        agent = User.objects.filter(username=step.assignee, is_active=True).first()
        if agent is None:
            return [_("No staff member %(name)s.") % {"name": step.assignee}]
        if not queues_visible_to(agent, Perm.CASE_WORK).filter(pk=queue.pk).exists():
            return [_("%(name)s may not work cases in this queue.") % {"name": agent}]
    return []


def _segment_slugs(defn: d.Definition) -> dict[str, str]:
    found: dict[str, str] = {}
    if isinstance(defn.entry, d.SegmentEntry):
        found[""] = defn.entry.segment
    for exit in defn.exits:
        if exit.kind == "left_segment":
            found.setdefault("", exit.segment)
    for step_id, step in defn.steps.items():
        if isinstance(step, d.SegmentStep):
            found[step_id] = step.segment
        if isinstance(step, d.BranchStep):
            for condition in step.all:
                if condition.kind == "segment":
                    found[step_id] = condition.segment
    return found


def _message_problems(message: Any) -> list[str]:
    """The message's content in its default language renders for a made-up person."""
    from luukku.campaigns.services import message_problems

    return message_problems(message)


PERSON_FIELDS = ("first_name", "last_name", "preferred_language", "preferred_channel", "gender")


def _field_problems(field: str, value: Any) -> list[str]:
    """The field may be set by a journey, and the value is one it takes."""
    from django.core.exceptions import ValidationError
    from django.db import models

    from luukku.customers.models import CustomField, Person
    from luukku.customers.validation import clean_custom

    if field.startswith("custom:"):
        key = field.removeprefix("custom:")
        if not CustomField.objects.filter(entity=CustomField.Entity.PERSON, key=key).exists():
            return [_("No custom field %(key)s.") % {"key": key}]
        try:
            clean_custom(CustomField.Entity.PERSON, {key: value}, check_required=False)
        except ValidationError as error:
            return [f"{field}: {message}" for message in error.messages]
        return []
    if field not in PERSON_FIELDS:
        return [_("The field %(field)s cannot be set by a journey.") % {"field": field}]
    model_field = Person._meta.get_field(field)
    assert isinstance(model_field, models.Field)
    try:
        model_field.clean(value, Person(first_name="x"))
    except ValidationError as error:
        return [f"{field}: {message}" for message in error.messages]
    return []
