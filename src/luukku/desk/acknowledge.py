"""The automatic answer to a new case's first mail: "we have it, it is case #N".

Never to mail that was itself automatic (RFC 3834: auto-replies, lists, bulk,
bounces), never to our own mailboxes, and at most ACKS_PER_HOUR times an hour to one
sender: two auto-responders cannot keep each other busy. The answer carries
`Auto-Submitted: auto-replied` so that well-behaved systems do not answer it.
"""

from __future__ import annotations

import datetime
import secrets

from django.utils import timezone, translation
from django.utils.translation import gettext as _

from luukku.channels.email.send import queue_email
from luukku.channels.inbound import InboundMessage
from luukku.channels.models import Mailbox, OutboundEmail
from luukku.desk.mail_ids import subject_token
from luukku.desk.models import Case, HistoryEntry

ACKS_PER_HOUR = 3


def _why_not(message: InboundMessage, mailbox: Mailbox) -> str:
    if message.automatic:
        return f"automatic mail ({message.automatic})"
    if not message.sender:
        return "no sender address"
    if Mailbox.objects.filter(address__iexact=message.sender).exists():
        return "sent from one of our own mailboxes"
    recent = OutboundEmail.objects.filter(
        to=[message.sender],
        headers__has_key="Auto-Submitted",
        created_at__gte=timezone.now() - datetime.timedelta(hours=1),
    ).count()
    if recent >= ACKS_PER_HOUR:
        return f"{ACKS_PER_HOUR} acknowledgements to this sender within the hour"
    return ""


def _language(case: Case) -> str:
    if case.person is not None and case.person.preferred_language:
        return case.person.preferred_language
    return case.org_unit.organization.language  # the case's own organization's


def acknowledge(case: Case, message: InboundMessage, mailbox: Mailbox) -> bool:
    """Queue the acknowledgement of a new case, or record in its history why not."""
    if not mailbox.acknowledge:  # a setting, not an event of the case
        return False
    reason = _why_not(message, mailbox)
    if reason:
        HistoryEntry.objects.create(case=case, kind="not_acknowledged", details={"reason": reason})
        return False
    with translation.override(_language(case)):
        token = subject_token(case)
        subject = _("We have received your message %(token)s") % {"token": token}
        text = _(
            "Thank you for writing to us. Your message has been received as case "
            "%(reference)s, and we will answer it as soon as we can.\n\n"
            "If you write again about the same matter, answer this message or keep "
            "%(token)s in the subject.\n\n%(sender)s"
        ) % {"reference": case.reference, "token": token, "sender": mailbox.name}
    domain = mailbox.address.split("@")[-1]
    queue_email(
        mailbox=mailbox,
        to=[message.sender],
        subject=subject,
        text=text,
        message_id=f"<luukku.{case.number}.ack-{secrets.token_hex(6)}@{domain}>",
        in_reply_to=message.external_id,
        references=[*message.references, message.external_id][-20:],
        headers={"Auto-Submitted": "auto-replied"},
    )
    HistoryEntry.objects.create(case=case, kind="acknowledged", details={"to": message.sender})
    return True
