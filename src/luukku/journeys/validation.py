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


def problems(raw: Any, *, purpose: Any = None) -> list[Problem]:
    """Everything wrong with a definition, in order of the steps."""
    form = d.problems_in(raw)
    if form:
        return [Problem(_step_of(where), f"{where}: {what}") for where, what in form]
    defn = d.parse(raw)
    found = _graph(defn)
    found += _references(defn, purpose)
    return found


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


def _references(defn: d.Definition, purpose: Any) -> list[Problem]:
    from luukku.campaigns.models import Campaign
    from luukku.core.models import WebhookEndpoint
    from luukku.segments.models import Segment

    found: list[Problem] = []
    segments = _segment_slugs(defn)
    known = set(
        Segment.objects.filter(slug__in=list(segments.values())).values_list("slug", flat=True)
    )
    for where, slug in segments.items():
        if slug not in known:
            found.append(Problem(where, _("No segment %(slug)s.") % {"slug": slug}))
    for step_id, step in defn.steps.items():
        if isinstance(step, d.SendStep):
            message = Campaign.objects.filter(pk=step.message, kind=Campaign.Kind.JOURNEY).first()
            if message is None:
                found.append(Problem(step_id, _("The message does not exist.")))
                continue
            found += [Problem(step_id, p) for p in _message_problems(message)]
            if purpose is None and not step.service:
                found.append(
                    Problem(step_id, _("Choose the journey's purpose: its messages need one."))
                )
        elif isinstance(step, d.CaseStep):
            found += [Problem(step_id, p) for p in _case_problems(step)]
        elif isinstance(step, d.SegmentStep):
            kind = Segment.objects.filter(slug=step.segment).values_list("kind", flat=True).first()
            if kind is not None and kind != Segment.Kind.STATIC:
                found.append(
                    Problem(step_id, _("Only a static segment's members are added or removed."))
                )
        elif (
            isinstance(step, d.WebhookStep)
            and not WebhookEndpoint.objects.filter(pk=step.endpoint).exists()
        ):
            found.append(Problem(step_id, _("No such webhook endpoint.")))
        elif isinstance(step, d.UpdateFieldStep):
            found += [Problem(step_id, p) for p in _field_problems(step.field)]
    return found


def _case_problems(step: d.CaseStep) -> list[str]:
    from luukku.core.access import Perm
    from luukku.core.models import User
    from luukku.desk.access import queues_visible_to
    from luukku.desk.models import Queue

    queue = Queue.objects.filter(slug=step.queue).first()
    if queue is None:
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


def _field_problems(field: str) -> list[str]:
    from luukku.customers.models import CustomField

    if field.startswith("custom:"):
        key = field.removeprefix("custom:")
        if not CustomField.objects.filter(key=key).exists():
            return [_("No custom field %(key)s.") % {"key": key}]
        return []
    if field not in (
        "first_name",
        "last_name",
        "preferred_language",
        "preferred_channel",
        "gender",
    ):
        return [_("The field %(field)s cannot be set by a journey.") % {"field": field}]
    return []
