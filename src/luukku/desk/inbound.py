"""Mail that arrived, threaded into the right case, explainably.

In order:
1. In-Reply-To or References naming a Message-ID we really sent (a made-up id in our
   format names nothing);
2. another In-Reply-To or References id that matches a stored message;
3. the case number in the subject ("[#1234]"), believed only when the sender is the
   case's customer or wrote on it before: anyone else gets a new case linked to it,
   so nobody can put mail into someone else's case.
Each message records why it went where it went. A reply to a case resolved or
closed longer ago than REOPEN_WITHIN starts a new, linked case; automatic mail (an
out-of-office answer) is kept on its case without reopening it. The same mail sent to
two of our mailboxes is kept once. Delivery status notifications about a reply we sent
to that address mark the reply and the address as bouncing (new mail from the address
clears the mark); they never open cases.
"""

from __future__ import annotations

import datetime

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from luukku.channels.inbound import Bounce, InboundMessage
from luukku.channels.models import Mailbox, OutboundEmail
from luukku.customers.actions.contacts import ContactChanges
from luukku.customers.actions.parties import create_party
from luukku.customers.models import EmailAddress, Person
from luukku.desk import services
from luukku.desk.acknowledge import acknowledge
from luukku.desk.mail_ids import OUR_ID, case_numbers_in, subject_token
from luukku.desk.models import Case, Delivery, Direction, HistoryEntry, Message, Queue

REOPEN_WITHIN = datetime.timedelta(days=30)


def _by_our_id(ids: list[str]) -> Case | None:
    """A Message-ID we sent (a reply, or an acknowledgement), exactly as we sent it: a
    made-up id in our format names no case."""
    ours = [i for i in ids if OUR_ID.match(i)]
    if not ours:
        return None
    sent = (
        Message.objects.filter(external_id__in=ours, direction=Direction.OUTBOUND)
        .select_related("case")
        .order_by("-pk")
        .first()
    )
    if sent is not None:
        return sent.case
    ack = OutboundEmail.objects.filter(message_id__in=ours).first()
    if ack is not None and (match := OUR_ID.match(ack.message_id)):
        return Case.objects.filter(number=int(match.group(1))).first()
    return None


def _by_reference(ids: list[str]) -> Case | None:
    if not ids:
        return None
    found = (
        Message.objects.filter(external_id__in=ids).select_related("case").order_by("-pk").first()
    )
    return found.case if found else None


def _writes_on(case: Case, sender: str) -> bool:
    """Whether `sender` is the case's customer or has written on the case before."""
    if not sender:
        return False
    if (
        case.person_id
        and EmailAddress.objects.filter(person_id=case.person_id, address_lower=sender).exists()
    ):
        return True
    return case.messages.filter(direction=Direction.INBOUND, sender__iexact=sender).exists()


def thread(message: InboundMessage, mailbox: Mailbox) -> tuple[Case | None, str, Case | None]:
    """(case to add to, why, case to link a new one to)."""
    ids = message.thread_ids
    if case := _by_our_id(ids):
        return case, "our reply's Message-ID in In-Reply-To/References", None
    if case := _by_reference(ids):
        return case, "a stored Message-ID in In-Reply-To/References", None
    for number in case_numbers_in(message.subject, mailbox.org_unit_id)[:1]:
        case = Case.objects.filter(number=number).first()
        if case is not None:
            token = subject_token(case)
            if _writes_on(case, message.sender):
                return case, f"case number {token} in the subject, from its customer", None
            return None, f"{token} in the subject from someone else: new linked case", case
    return None, "no thread found: new case", None


def _hold_address(address: str) -> None:
    """Two first mails from one new address, handled at once, make one person."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", [f"email:{address}"])


def customer_for(message: InboundMessage, mailbox: Mailbox) -> Person | None:
    """The person who wrote: the one person with this address, or a new one. An address or
    name the customer register does not accept leaves the case without a person."""
    if not message.sender:
        return None
    _hold_address(message.sender)
    matches = list(Person.objects.filter(emailaddresss__address_lower=message.sender)[:2])
    if len(matches) == 1:
        return matches[0]
    if matches:
        return None  # several persons share the address: an agent decides
    first, _space, last = message.sender_name.strip().rpartition(" ")
    try:
        with transaction.atomic():
            person = create_party(
                Person,
                values={
                    "first_name": first[:150],
                    "last_name": (last or message.sender.split("@")[0])[:150],
                },
                contacts=ContactChanges(emails=[{"address": message.sender, "is_primary": True}]),
                org_unit=mailbox.org_unit,
                by=None,
            ).party
    except ValidationError:
        return None
    assert isinstance(person, Person)
    return person


def queue_for(mailbox: Mailbox) -> Queue:
    """The mailbox's own queue; else the triage queue of its unit or the nearest unit
    above; else a queue of its unit."""
    active = Queue.objects.filter(is_active=True).select_related("org_unit")
    queue = active.filter(mailbox=mailbox).first()
    if queue is None:
        above = mailbox.org_unit.path_ids()
        triage = {q.org_unit_id: q for q in active.filter(is_triage=True, org_unit_id__in=above)}
        queue = next((triage[pk] for pk in reversed(above) if pk in triage), None)
    if queue is None:
        queue = active.filter(org_unit=mailbox.org_unit).first()
    if queue is None:
        raise LookupError(f"no queue takes mail for {mailbox.address}")
    return queue


def _bounced(bounce: Bounce) -> str:
    """Mark our reply and, for a permanent failure of a reply we really sent to that
    address, the address. A report about mail we did not send changes nothing."""
    sent = Message.objects.filter(
        external_id=bounce.original_message_id, direction=Direction.OUTBOUND
    ).first()
    if sent is None or bounce.recipient.lower() not in [r.lower() for r in sent.recipients]:
        return f"bounce for {bounce.recipient}: no message of ours to that address"
    if bounce.permanent:
        EmailAddress.objects.filter(address_lower=bounce.recipient.lower()).update(
            bounced_at=timezone.now()
        )
    sent.delivery = Delivery.BOUNCED
    sent.delivery_error = f"{bounce.status} {bounce.diagnostic}".strip()
    sent.save(update_fields=["delivery", "delivery_error"])
    HistoryEntry.objects.create(
        case=sent.case,
        kind="bounced",
        details={"message": sent.pk, "recipient": bounce.recipient, "status": bounce.status},
    )
    return f"bounce for case {sent.case.number}"


def _already_received(message: InboundMessage) -> Message | None:
    """The same mail sent to two of our mailboxes is one message."""
    if not message.external_id:
        return None
    return (
        Message.objects.filter(external_id=message.external_id, direction=Direction.INBOUND)
        .select_related("case")
        .first()
    )


def as_case_message(message: InboundMessage, why: str) -> services.NewMessage:
    """The mail as a message of a case, with why it was threaded there."""
    return services.NewMessage(
        text=message.text,
        html=message.html,
        sender=message.sender,
        recipients=message.recipients,
        subject=message.subject,
        external_id=message.external_id,
        thread_refs=message.references,
        threading_reason=why,
        attachments=message.attachments,
    )


def route_email(message: InboundMessage, mailbox: Mailbox) -> str:
    """The desk's handler for inbound email (registered in desk/apps.py)."""
    if message.bounce is not None:
        return _bounced(message.bounce)
    if (earlier := _already_received(message)) is not None:
        return f"case {earlier.case.number}: the same message came to another mailbox"
    if message.sender:  # mail from the address: it works again
        EmailAddress.objects.filter(address_lower=message.sender, bounced_at__isnull=False).update(
            bounced_at=None
        )
    case, why, related = thread(message, mailbox)
    new = as_case_message(message, why)
    if case is not None:
        if message.automatic:  # an out-of-office answer does not reopen anything
            new.threading_reason += f"; automatic mail ({message.automatic}): status kept"
            services.receive(case, new, reopen=False)
            return f"case {case.number}: {why}, automatic"
        done_at = case.resolved_at or case.updated_at
        if not (case.is_done and done_at < timezone.now() - REOPEN_WITHIN):
            services.receive(case, new)
            return f"case {case.number}: {why}"
        related = case
        new.threading_reason = f"{why}; resolved too long ago: new linked case"
    opened = services.open_case(
        queue=queue_for(mailbox),
        subject=message.subject or _("(no subject)"),
        by=None,
        channel="email",
        person=customer_for(message, mailbox),
        first=new,
    )
    if related is not None:
        opened.linked.add(related)
    acknowledge(opened, message, mailbox)
    return f"case {opened.number}: {new.threading_reason}"
