"""Cases opened and customers' messages received many at a time, as the inbound mail
writer takes them: the same rows `services.open_case` and `services.receive` write one
by one (case, message, history, the customer's timeline, webhooks, the live feed), with
one statement per table for the whole batch."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from luukku.customers.models import Person
from luukku.desk.automation import assign_automatically, classify_new_case, route_case
from luukku.desk.changes import Change, NewMessage, message_row, record_changes
from luukku.desk.models import (
    DONE,
    Case,
    ClassifierVersion,
    Direction,
    Message,
    Queue,
    StatusCategory,
)
from luukku.desk.numbering import next_case_numbers
from luukku.desk.rules import compiled_rules


@dataclass
class NewCase:
    queue: Queue
    subject: str
    channel: str
    person: Person | None
    first: NewMessage


@transaction.atomic(savepoint=False)
def open_cases(new: list[NewCase]) -> list[Case]:
    """New cases, each with the customer's first message, in the order given."""
    if not new:
        return []
    numbers = next_case_numbers(len(new))
    cases = Case.objects.bulk_create(
        [
            Case(
                number=number,
                subject=spec.subject.strip()[:300],
                queue=spec.queue,
                org_unit=spec.queue.org_unit,
                sensitivity=spec.queue.sensitivity,
                channel=spec.channel,
                person=spec.person,
            )
            for number, spec in zip(numbers, new, strict=True)
        ]
    )
    Message.objects.bulk_create(
        [
            message_row(case, Direction.INBOUND, None, spec.first)
            for case, spec in zip(cases, new, strict=True)
        ]
    )
    record_changes(
        [
            Change(case, "case_created", {"queue": spec.queue.slug, "channel": spec.channel}, 1)
            for case, spec in zip(cases, new, strict=True)
        ]
    )
    automatic = {q.pk for q in {spec.queue for spec in new} if q.assignment != "manual"}
    learnt = ClassifierVersion.objects.filter(is_active=True).exists()
    if compiled_rules() or automatic or learnt:  # as open_case does, one case at a time
        for case, spec in zip(cases, new, strict=True):
            route_case(case, trigger="created", first=spec.first)
            if learnt:
                classify_new_case(case, spec.first.text)
            if case.assignee_id is None:
                assign_automatically(case)
    return cases


@transaction.atomic(savepoint=False)
def receive_many(arrivals: list[tuple[Case, NewMessage]]) -> list[Message]:
    """Customers' messages on existing cases, in order; each reopens its case as
    `services.receive` does (these are never automatic mail)."""
    if not arrivals:
        return []
    ids = sorted({case.pk for case, _new in arrivals})
    rows = Case.objects.select_for_update(of=("self",)).select_related("person", "org_unit")
    cases = {c.pk: c for c in rows.filter(pk__in=ids).order_by("pk")}  # locked in one order
    messages = Message.objects.bulk_create(
        [message_row(cases[case.pk], Direction.INBOUND, None, new) for case, new in arrivals]
    )
    changes = []
    reopened: set[int] = set()
    added: dict[int, int] = {}  # case id: new versions
    for (case, _new), message in zip(arrivals, messages, strict=True):
        current = cases[case.pk]
        if current.status in (*DONE, StatusCategory.PENDING_CUSTOMER):
            current.status, current.custom_status, current.resolved_at = (
                StatusCategory.OPEN,
                None,
                None,
            )
            reopened.add(current.pk)
        current.version += 1
        added[current.pk] = added.get(current.pk, 0) + 1
        changes.append(Change(current, "customer_wrote", {"message": message.pk}, current.version))
    # A few statements, not a CASE per row and field: most cases get one message.
    now = timezone.now()
    Case.objects.filter(pk__in=reopened).update(
        status=StatusCategory.OPEN, custom_status=None, resolved_at=None
    )
    for count in set(added.values()):
        same = [pk for pk, n in added.items() if n == count]
        Case.objects.filter(pk__in=same).update(version=F("version") + count, updated_at=now)
    record_changes(changes)
    return messages
