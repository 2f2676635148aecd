"""Sending from the outbox: one job per email, retried with backoff while the failure is
temporary, never sending the same row twice."""

from __future__ import annotations

import smtplib
from email.utils import formataddr

from django.core.mail import EmailMessage, get_connection
from django.db import transaction
from django.utils import timezone

from luukku.channels import handlers
from luukku.channels.models import Mailbox, OutboundEmail
from luukku.core.jobs import enqueue_on_commit, job

# Control characters in a header would let a subject carry extra headers.
_UNSAFE = str.maketrans({"\r": " ", "\n": " ", "\x00": ""})


class TemporaryFailure(Exception):
    """The server could not take the mail now; the job is tried again later."""


def queue_email(
    *,
    mailbox: Mailbox,
    to: list[str],
    subject: str,
    text: str,
    message_id: str,
    in_reply_to: str = "",
    references: list[str] | None = None,
    headers: dict[str, str] | None = None,
    origin: str = "",
) -> OutboundEmail:
    """Put an email in the outbox; it is sent once the transaction commits."""
    outbound = OutboundEmail.objects.create(
        mailbox=mailbox,
        to=to,
        subject=" ".join(subject.translate(_UNSAFE).split()),
        text=text,
        message_id=message_id,
        in_reply_to=in_reply_to,
        references=references or [],
        headers=headers or {},
        origin=origin,
    )
    enqueue_on_commit(send_email, outbound.pk)
    return outbound


def build(outbound: OutboundEmail) -> EmailMessage:
    """The email as it will leave: our From, Message-ID and threading headers."""
    mailbox = outbound.mailbox
    headers = {"Message-ID": outbound.message_id, **outbound.headers}
    if outbound.in_reply_to:
        headers["In-Reply-To"] = outbound.in_reply_to
    if outbound.references:
        headers["References"] = " ".join(outbound.references)
    return EmailMessage(
        subject=outbound.subject.translate(_UNSAFE),
        body=outbound.text,
        from_email=formataddr((mailbox.name, mailbox.address)),
        to=outbound.to,
        headers={name: str(value).translate(_UNSAFE) for name, value in headers.items()},
    )


def _code(exc: smtplib.SMTPException) -> int:
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return min((code for code, _msg in exc.recipients.values()), default=0)
    return int(getattr(exc, "smtp_code", 0) or 0)


def _claim(outbound_id: int) -> OutboundEmail | None:
    """Mark the row as being sent; None when it was sent or an attempt was cut off."""
    with transaction.atomic():
        outbound = (
            OutboundEmail.objects.select_for_update().select_related("mailbox").get(pk=outbound_id)
        )
        if outbound.status == OutboundEmail.Status.SENT:
            return None
        if outbound.status == OutboundEmail.Status.SENDING:
            _finish(
                outbound,
                OutboundEmail.Status.FAILED,
                "An earlier attempt was cut off while sending; not sent again in case it "
                "left. Send it again by hand if the customer did not get it.",
            )
            return None
        outbound.status = OutboundEmail.Status.SENDING
        outbound.attempts += 1
        outbound.save(update_fields=["status", "attempts"])
        return outbound


def _finish(outbound: OutboundEmail, status: str, error: str = "") -> None:
    outbound.status, outbound.error = status, error[:2000]
    outbound.sent_at = timezone.now() if status == OutboundEmail.Status.SENT else None
    outbound.save(update_fields=["status", "error", "sent_at"])
    if outbound.origin:
        handlers.tell(outbound.origin, status, error)


def _again(outbound: OutboundEmail, error: str) -> None:
    """Back to the queue after a temporary failure; the job's retry sends it later."""
    outbound.status, outbound.error = OutboundEmail.Status.QUEUED, error[:2000]
    outbound.save(update_fields=["status", "error"])


@job(max_attempts=8, backoff_base=30.0)
def send_email(outbound_id: int) -> str:
    """Send one outbox row. A 4xx answer or a lost connection is tried again (the job
    raises); a 5xx refusal is final and reported to the message's origin."""
    outbound = _claim(outbound_id)
    if outbound is None:
        return "not sent again"
    try:
        with get_connection(fail_silently=False) as connection:
            connection.send_messages([build(outbound)])
    except smtplib.SMTPException as exc:
        if 500 <= _code(exc) < 600:
            with transaction.atomic():
                _finish(outbound, OutboundEmail.Status.FAILED, str(exc))
            return "refused"
        _again(outbound, str(exc))
        raise TemporaryFailure(str(exc)) from exc
    except OSError as exc:  # refused connection, timeout, DNS
        _again(outbound, str(exc))
        raise TemporaryFailure(str(exc)) from exc
    with transaction.atomic():
        _finish(outbound, OutboundEmail.Status.SENT)
    return "sent"
