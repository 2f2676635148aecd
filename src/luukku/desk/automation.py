"""What the desk does by itself to a case: routing rules, the classifier's category,
automatic assignment, an escalation's changes, a rule's standard answer."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from luukku.core.models import User
from luukku.desk import classifier, live, rules
from luukku.desk.access import may_work
from luukku.desk.answers import AnswerError, fill_in
from luukku.desk.assignment import pick_agent
from luukku.desk.changes import NewMessage
from luukku.desk.changes import add_message as _message
from luukku.desk.changes import fresh_case as _fresh
from luukku.desk.changes import save_change as _changed
from luukku.desk.models import (
    DONE,
    Case,
    Direction,
    HistoryEntry,
    Message,
    Priority,
    Queue,
    StandardAnswer,
    Tag,
)
from luukku.desk.outbound import send_reply


def classify_new_case(case: Case, text: str) -> classifier.Guess | None:
    """A new case: in a triage queue, the classifier moves it to the queue it belongs in
    when it is sure enough, else suggests that queue; then, without a category, it sets
    one when sure enough, else suggests it. Returns the category's guess."""
    _place_from_triage(case, text)
    if case.category_id is not None:
        return None
    guess = classifier.guess(case, text)
    if guess is None:
        return None
    if guess.sure:
        case.category_id = guess.label
        details = {
            "category": [None, guess.label],
            **_how_sure(guess),
        }
        _changed(case, None, "classified", details, fields=["category"])
    else:
        case.suggested_category_id = guess.label
        case.suggestion_confidence = guess.confidence
        Case.objects.filter(pk=case.pk).update(
            suggested_category_id=guess.label, suggestion_confidence=guess.confidence
        )
    return guess


def _how_sure(guess: classifier.Guess) -> dict[str, Any]:
    return {
        "automatic": True,
        "confidence": round(guess.confidence, 3),
        "classifier_version": guess.version,
    }


def _place_from_triage(case: Case, text: str) -> None:
    guess = classifier.guess_queue(case, text)
    if guess is None:
        return
    if guess.sure:
        to = Queue.objects.select_related("org_unit").get(pk=guess.label)
        move_to_queue(case, to, by=None, details=_how_sure(guess))
    else:
        case.suggested_queue_id, case.queue_confidence = guess.label, guess.confidence
        Case.objects.filter(pk=case.pk).update(
            suggested_queue_id=guess.label, queue_confidence=guess.confidence
        )


def move_to_queue(
    case: Case, to: Queue, *, by: User | None, details: dict[str, Any] | None = None
) -> None:
    """The case goes to another queue: it takes that queue's unit and sensitivity, lets
    go of a category of its old unit and of an assignee who may not work the new queue;
    one "moved" change, and both queues' open pages update."""
    before = case.queue
    noted: dict[str, Any] = {"queue": [before.name, to.name], **(details or {})}
    case.queue, case.org_unit, case.sensitivity = to, to.org_unit, to.sensitivity
    fields = ["queue", "org_unit", "sensitivity", "suggested_queue"]
    case.suggested_queue = None
    if case.category is not None and case.category.org_unit_id != to.org_unit_id:
        noted["category"] = [case.category.name, ""]
        case.category, case.suggested_category = None, None
        fields += ["category", "suggested_category"]
    if case.assignee is not None and not may_work(case.assignee, case):
        noted["assignee"] = [case.assignee.get_username(), ""]
        case.assignee = None
        fields.append("assignee")
    _changed(case, by, "moved", noted, fields=fields)
    live.announce(before.pk)


def assign_automatically(case: Case) -> User | None:
    """Give a new or waiting case to the agent its queue's strategy picks, if any."""
    if case.queue.assignment == Queue.Assignment.MANUAL or case.status in DONE:
        return None
    agent = pick_agent(case.queue, case=case)
    if agent is None:
        return None
    case.assignee = agent
    _changed(
        case, None, "assigned", {"to": agent.get_username(), "automatic": True}, fields=["assignee"]
    )
    return agent


@transaction.atomic
def return_to_queue(case: Case, *, reason: str) -> Case:
    """An agent who went away leaves a case nobody has answered: back to the queue."""
    case = _fresh(case, None, None, needs_lock=False)
    before = case.assignee.get_username() if case.assignee else ""
    case.assignee = None
    _changed(
        case, None, "assigned", {"from": before, "to": "", "reason": reason}, fields=["assignee"]
    )
    return case


def route_case(
    case: Case, *, trigger: str, first: NewMessage | None = None, mailbox: str = ""
) -> rules.Decision:
    """Run the routing rules for a case just created or changed, and do what they say."""
    compiled = rules.compiled_rules()
    if not compiled:
        return rules.Decision()
    facts = rules.facts_for(
        case,
        sender=first.sender if first else "",
        text=first.text if first else "",
        mailbox=mailbox or (first.recipients[0] if first and first.recipients else ""),
    )
    decision = rules.decide(case, facts, trigger=trigger, rules=compiled)
    if decision.routed:
        _apply_routing(case, decision)
    return decision


def _apply_routing(case: Case, decision: rules.Decision) -> None:
    """A routing decision's changes to the case, as one change in its history."""
    actions, fields = decision.actions, []
    if "queue" in actions and actions["queue"] != case.queue.slug:
        queue = Queue.objects.select_related("org_unit").get(slug=actions["queue"])
        case.queue, case.org_unit, case.sensitivity = queue, queue.org_unit, queue.sensitivity
        fields += ["queue", "org_unit", "sensitivity"]
    for name, attribute in (
        ("priority", "priority"),
        ("category", "category_id"),
        ("sla_policy", "sla_policy_id"),
    ):
        if name in actions and getattr(case, attribute) != actions[name]:
            setattr(case, attribute, actions[name])
            fields.append(attribute.removesuffix("_id"))
    if "assign_user" in actions:
        case.assignee = User.objects.get(username=actions["assign_user"])
        fields.append("assignee")
    elif "assign_team" in actions:
        agent = pick_agent(case.queue, team_id=actions["assign_team"], case=case)
        if agent is not None:
            case.assignee = agent
            fields.append("assignee")
    if actions.get("tags"):
        case.tags.add(*[Tag.objects.get_or_create(name=t[:50])[0] for t in actions["tags"]])
    details = {"rules": decision.matched, "actions": actions}
    _changed(case, None, "routed", details, fields=fields)
    if "answer" in actions:
        send_standard_answer(case, answer_id=actions["answer"])


RAISED = {
    Priority.LOW: Priority.NORMAL,
    Priority.NORMAL: Priority.HIGH,
    Priority.HIGH: Priority.URGENT,
    Priority.URGENT: Priority.URGENT,
}


@transaction.atomic
def escalate_case(
    case: Case,
    *,
    raise_priority: bool,
    reassign_to: User | None,
    details: dict[str, Any],
) -> Case:
    """An SLA escalation's change to the case: one step more urgent, or another assignee."""
    case = _fresh(case, None, None, needs_lock=False)
    fields = []
    if raise_priority and case.priority != RAISED[Priority(case.priority)]:
        details = {**details, "priority": [case.priority, RAISED[Priority(case.priority)]]}
        case.priority = RAISED[Priority(case.priority)]
        fields.append("priority")
    if reassign_to is not None and case.assignee_id != reassign_to.pk:
        details = {**details, "assignee": reassign_to.get_username()}
        case.assignee = reassign_to
        fields.append("assignee")
    _changed(case, None, "escalated", details, fields=fields)
    return case


def send_standard_answer(case: Case, *, answer_id: int) -> Message | None:
    """A routing rule's answer: the standard answer filled in for the case, sent as a
    reply (by email for an email case) with no agent as its author."""
    answer = StandardAnswer.objects.filter(pk=answer_id, is_active=True).first()
    if answer is None:
        return None
    try:
        text = fill_in(answer, case, None)
    except AnswerError as error:
        HistoryEntry.objects.create(
            case=case, kind="routed", details={"answer": answer_id, "problem": str(error)}
        )
        return None
    message = _message(case, Direction.OUTBOUND, None, NewMessage(text=text))
    send_reply(case, message)
    _changed(case, None, "replied", {"message": message.pk, "answer": answer.title}, fields=[])
    return message
