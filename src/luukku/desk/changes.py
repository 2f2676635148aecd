"""The primitives every change to a case goes through: the row locked and checked
against the version the actor saw, the change saved with a new version, and what a
change tells (history, the customer's timeline, webhooks, the live feed, SLA clocks,
staff notifications), for one change or many at once."""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _

from luukku.channels.inbound import InboundAttachment
from luukku.core import webhooks
from luukku.core.models import User
from luukku.customers.actions.timeline import NewEvent, append_events, append_one
from luukku.customers.models import Sensitivity
from luukku.desk import attachments, live, sla, staff_alerts
from luukku.desk.models import (
    Case,
    CaseChannel,
    Delivery,
    Direction,
    HistoryEntry,
    Message,
)

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


def locked_row(case: Case) -> Case:
    """The case as stored, locked until the transaction ends."""
    rows = Case.objects.select_for_update(of=("self",))
    # What the change's history, timeline event and webhook need, in the same query.
    return rows.select_related("locked_by", "person", "org_unit").get(pk=case.pk)


def fresh_case(case: Case, by: User | None, version: int | None, *, needs_lock: bool) -> Case:
    """The case row, locked for this transaction, after checking the version the actor saw
    and that nobody else is working on it."""
    current = locked_row(case)
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


def save_change(
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
    record_change(case, by, kind, details, timeline=timeline)


def record_change(
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
            payload={
                "case": c.case.number,
                "subject": c.case.subject,
                "queue": c.case.queue.slug,
                **(c.timeline or {}),
            },
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


def add_message(case: Case, direction: str, by: User | None, new: NewMessage) -> Message:
    message = insert_message(case, direction, by, new)
    if new.attachments:
        refused = attachments.keep(message, new.attachments)
        if refused:
            message.problems = "\n".join(refused)
            message.save(update_fields=["problems"])
    return message


def insert_message(case: Case, direction: str, by: User | None, new: NewMessage) -> Message:
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
