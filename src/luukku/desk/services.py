"""Working cases: open, answer, note, assign, change status, and one agent at a time.

Every change is made against the version of the case the actor saw: if something
changed since, the change is refused with what happened in between (`StaleCase`),
so nothing is lost and nobody answers blind. Every change bumps the version, is
written to the case history, to the customer's timeline, and to webhooks.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from luukku.channels.inbound import InboundAttachment
from luukku.core import webhooks
from luukku.core.models import User
from luukku.customers.actions.timeline import NewEvent, append_events, append_one
from luukku.customers.models import Organization, Person, Sensitivity
from luukku.desk import attachments, classifier, live, rules, sla, staff_alerts
from luukku.desk.access import may_work
from luukku.desk.answers import AnswerError, fill_in
from luukku.desk.assignment import pick_agent
from luukku.desk.models import (
    DONE,
    Case,
    CaseChannel,
    CaseStatus,
    Category,
    Delivery,
    Direction,
    HistoryEntry,
    Message,
    Priority,
    Queue,
    StandardAnswer,
    StatusCategory,
    Tag,
)
from luukku.desk.numbering import next_case_number
from luukku.desk.outbound import send_reply

LOCK_FOR = datetime.timedelta(seconds=90)


class CaseError(ValueError):
    """A change that cannot be made, with a message for the person who tried."""


class StaleCase(CaseError):
    """The case changed after the actor loaded it; `activity` is what happened since."""

    def __init__(self, case: Case, activity: list[HistoryEntry]) -> None:
        super().__init__(
            _("The case changed while you were working on it. Read the new activity and try again.")
        )
        self.case = case
        self.activity = activity


class CaseLocked(CaseError):
    """Someone else is working on the case."""

    def __init__(self, case: Case) -> None:
        holder = case.locked_by.get_full_name() or case.locked_by.get_username()  # type: ignore[union-attr]
        super().__init__(
            _("%(name)s is working on this case. Take it over to answer.") % {"name": holder}
        )
        self.case = case


@dataclass
class NewMessage:
    """A message as a channel or a form hands it over."""

    text: str
    html: str = ""
    sender: str = ""
    recipients: list[str] = field(default_factory=list)
    subject: str = ""
    external_id: str = ""
    thread_refs: list[str] = field(default_factory=list)
    threading_reason: str = ""
    attachments: list[InboundAttachment] = field(default_factory=list)


def _row(case: Case) -> Case:
    """The case as stored, locked until the transaction ends."""
    rows = Case.objects.select_for_update(of=("self",))
    # What the change's history, timeline event and webhook need, in the same query.
    return rows.select_related("locked_by", "person", "org_unit").get(pk=case.pk)


def _fresh(case: Case, by: User | None, version: int | None, *, needs_lock: bool) -> Case:
    """The case row, locked for this transaction, after checking the version the actor saw
    and that nobody else is working on it."""
    current = _row(case)
    if version is not None and current.version != version:
        activity = list(
            HistoryEntry.objects.filter(case=current, details__version__gt=version)
            .select_related("actor")
            .order_by("at", "id")
        )
        raise StaleCase(current, activity)
    holder = current.working_on_it
    if needs_lock and by is not None and holder is not None and holder.pk != by.pk:
        raise CaseLocked(current)
    return current


def _changed(
    case: Case,
    by: User | None,
    kind: str,
    details: dict[str, Any],
    *,
    fields: list[str],
    timeline: dict[str, Any] | None = None,
) -> None:
    """Save a change: a new version, a history entry, the customer's timeline, webhooks."""
    case.version += 1
    case.save(update_fields=[*fields, "version", "updated_at"])
    _record(case, by, kind, details, timeline=timeline)


def _record(
    case: Case,
    by: User | None,
    kind: str,
    details: dict[str, Any],
    *,
    timeline: dict[str, Any] | None = None,
) -> None:
    """Tell of the case's current version: history, the customer's timeline, webhooks."""
    record_changes([Change(case, kind, details, case.version, by=by, timeline=timeline)])


@dataclass
class Change:
    """A change to a case, at the version it made."""

    case: Case
    kind: str
    details: dict[str, Any]
    version: int
    by: User | None = None
    timeline: dict[str, Any] | None = None  # more for the customer's timeline event


def record_changes(changes: list[Change]) -> None:
    """History entries, the customers' timeline events, webhooks and the live feed of
    changes to cases, one statement each however many there are."""
    if not changes:
        return
    HistoryEntry.objects.bulk_create(
        [
            HistoryEntry(
                case=c.case, actor=c.by, kind=c.kind, details={**c.details, "version": c.version}
            )
            for c in changes
        ]
    )
    now = timezone.now()
    events = [
        NewEvent(
            person_id=c.case.person_id,
            type=f"desk.{c.kind}",
            occurred_at=now,
            source="desk",
            org_unit_id=c.case.org_unit_id,
            sensitivity=c.case.sensitivity,
            payload={"case": c.case.number, "subject": c.case.subject, **(c.timeline or {})},
        )
        for c in changes
        if c.case.person_id is not None
    ]
    if len(events) == 1:
        append_one(events[0])
    else:
        append_events(events)
    webhooks.emit_many(
        [
            (
                "case.created" if c.kind == "case_created" else "case.updated",
                {"case": c.case.number, "change": c.kind, "version": c.version},
                c.case.org_unit,
                c.case.sensitivity == Sensitivity.RESTRICTED,
            )
            for c in changes
        ]
    )
    sla.follow_changes([(c.case, c.kind) for c in changes])
    staff_alerts.tell_staff(changes)
    for queue_id in sorted({c.case.queue_id for c in changes}):
        live.announce(queue_id)


def _message(case: Case, direction: str, by: User | None, new: NewMessage) -> Message:
    message = _new_message(case, direction, by, new)
    if new.attachments:
        refused = attachments.keep(message, new.attachments)
        if refused:
            message.problems = "\n".join(refused)
            message.save(update_fields=["problems"])
    return message


def _new_message(case: Case, direction: str, by: User | None, new: NewMessage) -> Message:
    message = message_row(case, direction, by, new)
    message.save(force_insert=True)
    return message


def message_row(case: Case, direction: str, by: User | None, new: NewMessage) -> Message:
    """The message as it will be stored, not yet saved (`bulk` saves many at once)."""
    return Message(
        case=case,
        direction=direction,
        channel=case.channel if direction != Direction.NOTE else CaseChannel.STAFF,
        author=by,
        sender=new.sender,
        recipients=new.recipients,
        subject=(new.subject or case.subject)[:300],
        body_text=new.text,
        body_html=new.html,
        delivery=Delivery.QUEUED if direction == Direction.OUTBOUND else Delivery.NONE,
        external_id=new.external_id,
        thread_refs=new.thread_refs,
        threading_reason=new.threading_reason[:300],
    )


def require_worker(user: User, case: Case) -> None:
    if not may_work(user, case):
        raise CaseError(_("%(name)s may not work cases in this queue.") % {"name": user})


@transaction.atomic(savepoint=False)  # it checks before it writes; a failure ends it all
def open_case(
    *,
    queue: Queue,
    subject: str,
    by: User | None,
    channel: str = CaseChannel.STAFF,
    person: Person | None = None,
    organization: Organization | None = None,
    priority: str = Priority.NORMAL,
    category: Category | None = None,
    first: NewMessage | None = None,
    first_direction: str = Direction.INBOUND,
) -> Case:
    """A new case in `queue`, with its first message (what the customer wrote, or a note)."""
    if not subject.strip():
        raise CaseError(_("A case needs a subject."))
    case = Case.objects.create(
        number=next_case_number(),
        subject=subject.strip()[:300],
        queue=queue,
        org_unit=queue.org_unit,
        sensitivity=queue.sensitivity,
        channel=channel,
        person=person,
        organization=organization,
        priority=priority,
        category=category,
    )
    if first is not None:
        _message(case, first_direction, by, first)
    _record(case, by, "case_created", {"queue": queue.slug, "channel": channel})
    route_case(case, trigger="created", first=first)
    classify_new_case(case, first.text if first else "")
    if case.assignee_id is None:
        assign_automatically(case)
    return case


def classify_new_case(case: Case, text: str) -> classifier.Guess | None:
    """A new case without a category: the classifier sets one when it is sure enough,
    else suggests it to the agent."""
    if case.category_id is not None:
        return None
    guess = classifier.guess(case, text)
    if guess is None:
        return None
    if guess.sure:
        case.category_id = guess.category_id
        details = {
            "category": [None, guess.category_id],
            "automatic": True,
            "confidence": round(guess.confidence, 3),
            "classifier_version": guess.version,
        }
        _changed(case, None, "classified", details, fields=["category"])
    else:
        case.suggested_category_id = guess.category_id
        case.suggestion_confidence = guess.confidence
        Case.objects.filter(pk=case.pk).update(
            suggested_category_id=guess.category_id, suggestion_confidence=guess.confidence
        )
    return guess


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


def _check_files(files: list[InboundAttachment]) -> None:
    """An agent's file over the limit is refused before anything is saved."""
    for item in files:
        if refusal := attachments.over_limit(item.filename, len(item.data)):
            raise CaseError(refusal)
    if refusal := attachments.over_limit(
        _("the files together"), sum(len(item.data) for item in files)
    ):
        raise CaseError(refusal)  # one mail carries them all


@transaction.atomic
def reply(
    case: Case,
    *,
    by: User,
    text: str,
    version: int | None,
    files: list[InboundAttachment] | None = None,
) -> Message:
    """Answer the customer: for an email case, by mail in the thread of their last one,
    with the files attached."""
    if not text.strip():
        raise CaseError(_("Write something before sending."))
    _check_files(files or [])
    case = _fresh(case, by, version, needs_lock=True)
    require_worker(by, case)
    message = _message(case, Direction.OUTBOUND, by, NewMessage(text=text, attachments=files or []))
    send_reply(case, message)
    fields = []
    if case.first_response_at is None:
        case.first_response_at = timezone.now()
        fields.append("first_response_at")
    if case.status == StatusCategory.NEW:
        case.status = StatusCategory.OPEN
        fields.append("status")
    _changed(case, by, "replied", {"message": message.pk}, fields=fields)
    return message


@transaction.atomic
def add_note(
    case: Case,
    *,
    by: User,
    text: str,
    version: int | None,
    files: list[InboundAttachment] | None = None,
) -> Message:
    """An internal note (with files, if any): never sent, never shown to the customer."""
    if not text.strip():
        raise CaseError(_("Write something before saving the note."))
    _check_files(files or [])
    case = _fresh(case, by, version, needs_lock=False)
    require_worker(by, case)
    message = _message(case, Direction.NOTE, by, NewMessage(text=text, attachments=files or []))
    _changed(case, by, "note_added", {"message": message.pk}, fields=[])
    return message


@transaction.atomic(savepoint=False)  # it refuses nothing: no failure to recover from
def receive(case: Case, new: NewMessage, *, reopen: bool = True) -> Message:
    """A customer's message on an existing case (from a channel): it reopens a done case
    (unless `reopen` is False, for automatic mail)."""
    case = _fresh(case, None, None, needs_lock=False)
    message = _message(case, Direction.INBOUND, None, new)
    fields = []
    if reopen and case.status in (*DONE, StatusCategory.PENDING_CUSTOMER):
        case.status = StatusCategory.OPEN
        case.custom_status = None
        case.resolved_at = None
        fields += ["status", "custom_status", "resolved_at"]
    _changed(case, None, "customer_wrote", {"message": message.pk}, fields=fields)
    return message


@transaction.atomic
def change_status(
    case: Case,
    *,
    to: str | CaseStatus,
    by: User,
    version: int | None,
    resolution_note: str = "",
    suggest_faq: bool = False,
) -> Case:
    """Move the case to a status category, or to an administrator's status of one.
    Resolving needs a category; the note and the FAQ flag are kept for the knowledge base."""
    custom = to if isinstance(to, CaseStatus) else None
    category = custom.category if custom else str(to)
    if category not in StatusCategory.values:
        raise CaseError(_("Unknown status: %(status)s") % {"status": category})
    case = _fresh(case, by, version, needs_lock=True)
    require_worker(by, case)
    if category == StatusCategory.RESOLVED and case.category_id is None:
        raise CaseError(_("Choose a category before resolving the case."))
    before = case.status
    case.status, case.custom_status = category, custom
    fields = ["status", "custom_status"]
    if category in DONE and before not in DONE:
        case.resolved_at = timezone.now()  # when it was last done, resolved or closed
        fields.append("resolved_at")
    elif category not in DONE:
        case.resolved_at = None
        fields.append("resolved_at")
    if category == StatusCategory.RESOLVED:
        case.resolution_note, case.suggest_faq = resolution_note.strip(), suggest_faq
        fields += ["resolution_note", "suggest_faq"]
    _changed(
        case,
        by,
        "status_changed",
        {"from": before, "to": category, "status": custom.name if custom else ""},
        fields=fields,
        timeline={"status": category},
    )
    route_case(case, trigger="updated")
    return case


@transaction.atomic
def classify_case(
    case: Case,
    *,
    by: User,
    version: int | None,
    priority: str | None = None,
    category_id: int | None = None,
) -> Case:
    """Change the priority or the category (one of the case's unit's categories)."""
    case = _fresh(case, by, version, needs_lock=False)
    require_worker(by, case)
    changes: dict[str, Any] = {}
    if priority is not None and priority != case.priority:
        if priority not in Priority.values:
            raise CaseError(_("Unknown priority: %(priority)s") % {"priority": priority})
        changes["priority"] = [case.priority, priority]
        case.priority = priority
    if category_id is not None and category_id != case.category_id:
        category = Category.objects.filter(pk=category_id, org_unit=case.org_unit).first()
        if category is None:
            raise CaseError(_("No such category in this case's unit."))
        changes["category"] = [case.category.name if case.category else "", category.name]
        case.category = category
    if changes:
        _changed(case, by, "classified", changes, fields=["priority", "category"])
        route_case(case, trigger="updated")
    return case


@transaction.atomic
def assign_case(case: Case, *, to: User | None, by: User, version: int | None) -> Case:
    """Hand the case to `to` (None: back to the queue). Whoever hands on a case they held
    keeps it in their "delegated by me" list until it is resolved."""
    case = _fresh(case, by, version, needs_lock=False)
    require_worker(by, case)
    if to is not None:
        require_worker(to, case)
    before = case.assignee
    case.assignee = to
    if before is not None and to is not None and before.pk != to.pk and before.pk == by.pk:
        case.delegated_by.add(by)
    _changed(
        case,
        by,
        "assigned",
        {"from": before.get_username() if before else "", "to": to.get_username() if to else ""},
        fields=["assignee"],
    )
    return case


KEEP: Any = object()  # update_case: leave the assignee as it is


@transaction.atomic
def update_case(
    case: Case,
    *,
    by: User,
    version: int | None,
    priority: str | None = None,
    category_id: int | None = None,
    assignee: User | None = KEEP,
    status: str | CaseStatus | None = None,
    resolution_note: str = "",
    suggest_faq: bool = False,
) -> Case:
    """Several changes at once, all or none: category and priority, then the assignee,
    then the status, each made against the version the step before it left."""
    if priority is not None or category_id is not None:
        case = classify_case(
            case, by=by, version=version, priority=priority, category_id=category_id
        )
        version = case.version
    if assignee is not KEEP:
        case = assign_case(case, to=assignee, by=by, version=version)
        version = case.version
    if status is not None:
        case = change_status(
            case,
            to=status,
            by=by,
            version=version,
            resolution_note=resolution_note,
            suggest_faq=suggest_faq,
        )
    return case


@transaction.atomic
def merge_case(case: Case, *, into: Case, by: User, version: int | None) -> Case:
    """Move every message of `case` to `into`; `case` is closed and points to it."""
    if case.pk == into.pk:
        raise CaseError(_("A case cannot be merged into itself."))
    if into.merged_into_id is not None:
        raise CaseError(_("That case was itself merged into another; merge into that one."))
    case = _fresh(case, by, version, needs_lock=True)
    survivor = _fresh(into, by, None, needs_lock=False)
    require_worker(by, case)
    require_worker(by, survivor)
    moved = Message.objects.filter(case=case).update(case=survivor)
    case.merged_into, case.status, case.custom_status = survivor, StatusCategory.CLOSED, None
    case.resolved_at = timezone.now()
    _changed(
        case,
        by,
        "merged",
        {"into": survivor.number, "messages": moved},
        fields=["merged_into", "status", "custom_status", "resolved_at"],
    )
    _changed(survivor, by, "merged_in", {"from": case.number, "messages": moved}, fields=[])
    return survivor


@transaction.atomic
def split_case(
    case: Case, *, message_ids: list[int], subject: str, by: User, version: int | None
) -> Case:
    """Move the chosen messages to a new case of the same queue and customer, a child
    of this one."""
    case = _fresh(case, by, version, needs_lock=True)
    require_worker(by, case)
    chosen = Message.objects.filter(case=case, pk__in=message_ids)
    if not message_ids or chosen.count() != len(set(message_ids)):
        raise CaseError(_("Choose messages of this case to split off."))
    if chosen.count() == case.messages.count():
        raise CaseError(_("Leave at least one message on the case."))
    child = open_case(
        queue=case.queue,
        subject=subject or case.subject,
        by=by,
        channel=case.channel,
        person=case.person,
        organization=case.organization,
        priority=case.priority,
        category=case.category,
    )
    child.parent = case
    child.save(update_fields=["parent"])
    moved = chosen.update(case=child)
    _changed(case, by, "split", {"into": child.number, "messages": moved}, fields=[])
    return child


@transaction.atomic
def claim_case(case: Case, *, by: User, take_over: bool = False) -> Case:
    """Start (or keep) working on the case: a soft lock the page renews while it is open.
    Someone else's live lock is only broken by taking over, which the history records."""
    current = _row(case)
    require_worker(by, current)
    holder = current.working_on_it
    if holder is not None and holder.pk != by.pk:
        if not take_over:
            raise CaseLocked(current)
        HistoryEntry.objects.create(
            case=current,
            actor=by,
            kind="taken_over",
            details={"from": holder.get_username(), "version": current.version},
        )
    renewal = holder is not None and holder.pk == by.pk
    current.locked_by = by
    current.locked_until = timezone.now() + LOCK_FOR
    current.save(update_fields=["locked_by", "locked_until"])
    if not renewal:  # queue pages show who is working on what
        live.announce(current.queue_id)
    return current


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
