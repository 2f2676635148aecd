"""Mail threaded and stored many messages at a time, when it comes faster than one by one
can keep up with (the inbound mail writer, `channels/email/writer.py`).

The common shapes go here: a new conversation, and an answer that names a stored
message in In-Reply-To or References. Their lookups are one query each for the whole
batch and their rows are written by `bulk`. Everything else is left to `inbound.route_email`,
one by one, in the order it came: bounces, automatic mail, attachments, a subject
token without a reference, the same mail twice, an answer to a case done too long ago.
Within a batch the meaning is that of one by one: two first mails from a new address
make one person, and an answer to a mail opened in the same batch lands in its case;
an answer to a mail another process is handling right now waits for it.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.db import connection
from django.utils import timezone
from django.utils.translation import gettext as _

from luukku.channels.inbound import InboundMessage
from luukku.channels.models import InboundReceipt, Mailbox
from luukku.customers.actions.parties import notifications_together
from luukku.customers.models import EmailAddress, Person
from luukku.desk import bulk
from luukku.desk.acknowledge import acknowledge
from luukku.desk.inbound import REOPEN_WITHIN, as_case_message, customer_for, queue_for
from luukku.desk.mail_ids import OUR_ID, case_numbers_in
from luukku.desk.models import Case, Direction, Message, Queue


@dataclass
class Arrival:
    key: int  # the caller's (the receipt's id)
    message: InboundMessage
    mailbox: Mailbox


def _simple(arrival: Arrival) -> bool:
    m = arrival.message
    return (
        m.bounce is None
        and not m.automatic
        and not m.attachments
        and bool(m.external_id)
        and bool(m.sender)
    )


class _Batch:
    """What the batch knows: stored messages by id, the cases they are on, persons by
    address, queues by mailbox."""

    def __init__(self, arrivals: list[Arrival]) -> None:
        ids = {a.message.external_id for a in arrivals}
        ids |= {ref for a in arrivals for ref in a.message.thread_ids}
        stored = Message.objects.filter(external_id__in=ids).values_list(
            "external_id", "direction", "case_id"
        )
        self.inbound_ids = {e for e, d, _c in stored if d == Direction.INBOUND}
        self.case_of: dict[str, int] = {}
        self.ours: dict[str, int] = {}
        for external_id, direction, case_id in stored:
            self.case_of.setdefault(external_id, case_id)
            if direction == Direction.OUTBOUND:
                self.ours[external_id] = case_id
        senders = {a.message.sender for a in arrivals}
        self.persons: dict[str, list[Person]] = {}
        for address in EmailAddress.objects.filter(address_lower__in=senders).select_related(
            "person"
        ):
            if address.person is not None:
                self.persons.setdefault(address.address_lower, []).append(address.person)
        self.queues: dict[int, Queue] = {}

    def thread(self, m: InboundMessage) -> tuple[int | None, str] | None:
        """(case id or None for a new case, why); None when one by one must decide."""
        refs = m.thread_ids
        for ref in refs:
            if OUR_ID.match(ref) and ref in self.ours:
                return self.ours[ref], "our reply's Message-ID in In-Reply-To/References"
        if any(OUR_ID.match(ref) for ref in refs):
            return None  # an acknowledgement's id, or a made-up one: one by one
        for ref in reversed(refs):
            if ref in self.case_of:
                return self.case_of[ref], "a stored Message-ID in In-Reply-To/References"
        return None, "no thread found: new case"

    def queue(self, mailbox: Mailbox) -> Queue:
        if mailbox.pk not in self.queues:
            self.queues[mailbox.pk] = queue_for(mailbox)
        return self.queues[mailbox.pk]

    def person(self, m: InboundMessage, mailbox: Mailbox) -> Person | None:
        known = self.persons.get(m.sender)
        if known is None:  # a new address: one person for the whole batch
            person = customer_for(m, mailbox)
            known = self.persons[m.sender] = [person] if person is not None else []
        return known[0] if len(known) == 1 else None


def route_email_batch(
    items: list[tuple[int, InboundMessage, Mailbox]],
) -> tuple[dict[int, str], list[int], list[int]]:
    """The desk's batch handler for inbound email (registered in desk/apps.py)."""
    arrivals = [Arrival(key, message, mailbox) for key, message, mailbox in items]
    waiting = _answering_mail_in_hand(arrivals)
    outcomes, rest = route_batch([a for a in arrivals if a.key not in waiting])
    return outcomes, [a.key for a in rest], sorted(waiting)


def _answering_mail_in_hand(arrivals: list[Arrival]) -> set[int]:
    """Answers to a mail that is stored but not yet handled, elsewhere (another process's
    batch): they wait for it, rather than open a case of their own."""
    keys = {a.key for a in arrivals}
    refs = {ref for a in arrivals for ref in a.message.thread_ids}
    if not refs:
        return set()
    in_hand = set(
        InboundReceipt.objects.filter(external_id__in=refs, status=InboundReceipt.Status.RECEIVED)
        .exclude(pk__in=keys)
        .values_list("external_id", flat=True)
    )
    return {a.key for a in arrivals if in_hand.intersection(a.message.thread_ids)}


def route_batch(arrivals: list[Arrival]) -> tuple[dict[int, str], list[Arrival]]:
    """Handle what the batch can ({key: outcome}); the rest, in order, for one by one.
    Call inside a transaction; PostgreSQL only (numbers come from its sequence)."""
    assert connection.vendor == "postgresql"
    batch = _Batch(arrivals)
    earlier: set[str] = set()  # this batch's Message-IDs so far
    case_rows = Case.objects.select_related("org_unit")
    done_before = timezone.now() - REOPEN_WITHIN
    answers: list[tuple[Arrival, int, str]] = []
    opened: list[tuple[Arrival, str]] = []
    rest: list[Arrival] = []
    for arrival in arrivals:
        m = arrival.message
        threaded = batch.thread(m) if _simple(arrival) else None
        duplicate = m.external_id in batch.inbound_ids or m.external_id in earlier
        # An answer to a mail of this batch waits until that mail is stored.
        answers_this_batch = not earlier.isdisjoint(m.thread_ids)
        earlier.add(m.external_id)
        if threaded is None or duplicate or answers_this_batch:
            rest.append(arrival)
            continue
        case_id, why = threaded
        if case_id is None and case_numbers_in(m.subject, arrival.mailbox.org_unit_id):
            rest.append(arrival)  # a subject token: only one by one may believe it
            continue
        if case_id is None:
            opened.append((arrival, why))
        else:
            answers.append((arrival, case_id, why))
    # Mail from an address shows it works again (as one by one clears the mark).
    senders = {a.message.sender for a, _w in opened} | {a.message.sender for a, _c, _w in answers}
    EmailAddress.objects.filter(address_lower__in=senders, bounced_at__isnull=False).update(
        bounced_at=None
    )
    cases = case_rows.in_bulk({case_id for _a, case_id, _w in answers})
    late = [a for a, case_id, _w in answers if _done_long_ago(cases.get(case_id), done_before)]
    answers = [item for item in answers if item[0] not in late]
    with notifications_together():  # new persons' audit, webhooks, events: one go
        new_cases = bulk.open_cases(
            [
                bulk.NewCase(
                    queue=batch.queue(a.mailbox),
                    subject=a.message.subject or _("(no subject)"),
                    channel="email",
                    person=batch.person(a.message, a.mailbox),
                    first=as_case_message(a.message, why),
                )
                for a, why in opened
            ]
        )
    outcomes: dict[int, str] = {}
    for (arrival, why), case in zip(opened, new_cases, strict=True):
        acknowledge(case, arrival.message, arrival.mailbox)
        outcomes[arrival.key] = f"case {case.number}: {why}"
    bulk.receive_many(
        [(cases[case_id], as_case_message(a.message, why)) for a, case_id, why in answers]
    )
    for arrival, case_id, why in answers:
        outcomes[arrival.key] = f"case {cases[case_id].number}: {why}"
    return outcomes, [*late, *rest]


def _done_long_ago(case: Case | None, before: datetime.datetime) -> bool:
    if case is None:
        return True
    done_at = case.resolved_at or case.updated_at
    return bool(case.is_done and done_at < before)
