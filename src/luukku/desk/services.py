"""Working cases: open, answer, note, assign, change status, and one agent at a time.

Every change is made against the version of the case the actor saw: if something
changed since, the change is refused with what happened in between (`StaleCase`),
so nothing is lost and nobody answers blind. Every change bumps the version, is
written to the case history, to the customer's timeline, and to webhooks.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from luukku.channels.inbound import InboundAttachment
from luukku.core.models import User
from luukku.customers.models import Organization, Person
from luukku.desk import attachments, automation, live
from luukku.desk.access import may_work
from luukku.desk.changes import (
    LOCK_FOR,
    CaseError,
    CaseLocked,
    Change,
    NewMessage,
    StaleCase,
    message_row,
    record_changes,
)
from luukku.desk.changes import add_message as _message
from luukku.desk.changes import fresh_case as _fresh
from luukku.desk.changes import locked_row as _row
from luukku.desk.changes import record_change as _record
from luukku.desk.changes import save_change as _changed
from luukku.desk.models import (
    DONE,
    Case,
    CaseChannel,
    CaseStatus,
    Category,
    Direction,
    HistoryEntry,
    Message,
    Priority,
    Queue,
    StatusCategory,
)
from luukku.desk.numbering import next_case_number
from luukku.desk.outbound import send_reply


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
    automation.route_case(case, trigger="created", first=first)
    automation.classify_new_case(case, first.text if first else "")
    if case.assignee_id is None:
        automation.assign_automatically(case)
    return case


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
    automation.route_case(case, trigger="updated")
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
        automation.route_case(case, trigger="updated")
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


@transaction.atomic
def move_case(case: Case, *, to: Queue, by: User, version: int | None) -> Case:
    """Send the case to another queue, of any unit (`automation.move_to_queue`); the new
    queue's rules and assignment then apply."""
    case = _fresh(case, by, version, needs_lock=False)
    require_worker(by, case)
    if not to.is_active:
        raise CaseError(_("The queue %(name)s is closed.") % {"name": to.name})
    if to.pk == case.queue_id:
        return case
    automation.move_to_queue(case, to, by=by)
    automation.route_case(case, trigger="updated")
    if case.assignee_id is None:
        automation.assign_automatically(case)
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


__all__ = [
    "LOCK_FOR",
    "CaseError",
    "CaseLocked",
    "Change",
    "NewMessage",
    "StaleCase",
    "message_row",
    "record_changes",
]
