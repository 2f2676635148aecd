"""An agent's reply on its way to the customer, through the channel's outbox."""

from __future__ import annotations

from django.utils import timezone
from django.utils.translation import gettext as _

from luukku.channels.email.send import queue_email
from luukku.customers.models import EmailAddress
from luukku.desk.mail_ids import case_numbers_in, our_message_id, subject_token
from luukku.desk.models import Case, CaseChannel, Delivery, Direction, Message

MAX_REFERENCES = 20


def _subject(case: Case) -> str:
    plain = " ".join(case.subject.split())[:250]  # no line breaks: they would start headers
    subject = plain if plain.lower().startswith("re:") else f"Re: {plain}"
    ours = case_numbers_in(subject, case.org_unit_id) == [case.number]
    return subject if ours else f"{subject} {subject_token(case)}"


def _recipient(case: Case, last: Message | None) -> str:
    """The case's customer: the address they last wrote from, else their first address.
    Someone else who wrote on the case (a colleague in copy) is not answered by default."""
    customer = (
        {
            a.lower()
            for a in EmailAddress.objects.filter(person_id=case.person_id).values_list(
                "address_lower", flat=True
            )
        }
        if case.person_id
        else set()
    )
    if last is not None and (not customer or last.sender.lower() in customer):
        return last.sender
    inbound = case.messages.filter(direction=Direction.INBOUND).exclude(sender="")
    for message in inbound.order_by("-pk"):
        if message.sender.lower() in customer:
            return message.sender
    primary = (
        EmailAddress.objects.filter(person_id=case.person_id).first() if case.person_id else None
    )
    return primary.address if primary else (last.sender if last else "")


def _fail(message: Message, reason: str) -> None:
    message.delivery, message.delivery_error = Delivery.FAILED, reason
    message.save(update_fields=["delivery", "delivery_error"])


def send_reply(case: Case, message: Message) -> None:
    """Queue `message` as an email in the thread of the customer's last mail."""
    if case.channel != CaseChannel.EMAIL:
        return
    mailbox = case.queue.mailbox
    last = case.messages.filter(direction=Direction.INBOUND).exclude(sender="").last()
    to = _recipient(case, last)
    if mailbox is None:
        return _fail(message, _("The case's queue has no mailbox to send from."))
    if not to:
        return _fail(message, _("The customer has no email address."))
    bounced = EmailAddress.objects.filter(
        address_lower=to.lower(), bounced_at__isnull=False
    ).first()
    if bounced is not None:
        return _fail(
            message,
            _("Mail to %(address)s came back on %(date)s; check the address with the customer.")
            % {"address": to, "date": f"{bounced.bounced_at:%Y-%m-%d}"},
        )
    references = [*(last.thread_refs if last else []), *([last.external_id] if last else [])]
    message.external_id = our_message_id(case, message, mailbox.address.split("@")[-1])
    message.sender, message.recipients = mailbox.address, [to]
    message.subject = _subject(case)
    message.save(update_fields=["external_id", "sender", "recipients", "subject"])
    queue_email(
        mailbox=mailbox,
        to=[to],
        subject=message.subject,
        text=message.body_text,
        message_id=message.external_id,
        in_reply_to=last.external_id if last else "",
        references=[r for r in references if r][-MAX_REFERENCES:],
        origin=f"desk.message:{message.pk}",
        attachments=[
            {"path": a.file.name, "filename": a.filename, "content_type": a.content_type}
            for a in message.attachments.all()
        ],
    )


def delivery_changed(message_id: int, status: str, error: str) -> None:
    """The outbox's report on a reply (registered in desk/apps.py)."""
    delivery = {"sent": Delivery.SENT, "failed": Delivery.FAILED}.get(status)
    if delivery is None:
        return
    Message.objects.filter(pk=message_id).update(
        delivery=delivery,
        delivery_error=error,
        sent_at=timezone.now() if delivery == Delivery.SENT else None,
    )
