"""Sending from the outbox: one job per email, retried with backoff while the failure is
temporary, never sending the same row twice."""

from __future__ import annotations

import contextlib
import datetime
import smtplib
from email.utils import formataddr

from django.core.files.storage import default_storage
from django.core.mail import EmailMessage, get_connection
from django.db import transaction
from django.utils import timezone

from luukku.channels import handlers
from luukku.channels.models import Mailbox, OutboundEmail
from luukku.core.jobs import enqueue_on_commit, job, periodic

# An attempt takes at most this long (the SMTP timeout is 30 s); a row still marked
# as being sent after it was cut off.
SENDING_FOR = datetime.timedelta(minutes=10)
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
    attachments: list[dict[str, str]] | None = None,
) -> OutboundEmail:
    """Put an email in the outbox; it is sent once the transaction commits. Attachments
    name files in the default storage ({"path", "filename", "content_type"})."""
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
        attachments=attachments or [],
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
    email = EmailMessage(
        subject=outbound.subject.translate(_UNSAFE),
        body=outbound.text,
        from_email=formataddr((mailbox.name, mailbox.address)),
        to=outbound.to,
        headers={name: str(value).translate(_UNSAFE) for name, value in headers.items()},
    )
    for item in outbound.attachments:
        with default_storage.open(item["path"], "rb") as file:
            email.attach(item["filename"], file.read(), item["content_type"])
    return email


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
            if outbound.claimed_at and outbound.claimed_at > timezone.now() - SENDING_FOR:
                return None  # another worker is sending it right now
            _finish(
                outbound,
                OutboundEmail.Status.FAILED,
                "An earlier attempt was cut off while sending; not sent again in case it "
                "left. Send it again by hand if the customer did not get it.",
            )
            return None
        outbound.status = OutboundEmail.Status.SENDING
        outbound.attempts += 1
        outbound.claimed_at = timezone.now()
        outbound.save(update_fields=["status", "attempts", "claimed_at"])
        return outbound


@transaction.atomic
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


MAX_ATTEMPTS = 8
UNCERTAIN = (
    "The connection broke while the mail was being handed over; it may have left. "
    "Not sent again, to avoid a duplicate: send it again by hand if the customer did "
    "not get it."
)


def _transmit(outbound: OutboundEmail) -> str:
    """One SMTP conversation. Returns "sent", "refused" (5xx, final), "again" (nothing was
    handed over: try later) or "uncertain" (it may have left)."""
    try:
        email = build(outbound)  # before connecting: a missing file sent nothing
    except Exception as exc:
        _finish(outbound, OutboundEmail.Status.FAILED, f"Could not build the email: {exc}")
        return "refused"
    connection = get_connection(fail_silently=False)
    try:
        connection.open()
    except (smtplib.SMTPException, OSError) as exc:
        _again(outbound, str(exc))
        return "again"
    try:
        connection.send_messages([email])
    except smtplib.SMTPException as exc:
        code = _code(exc)
        explicit = isinstance(
            exc,
            smtplib.SMTPRecipientsRefused | smtplib.SMTPSenderRefused | smtplib.SMTPDataError,
        )
        if explicit and 500 <= code < 600:
            _finish(outbound, OutboundEmail.Status.FAILED, str(exc))
            return "refused"
        if explicit and 400 <= code < 500:
            _again(outbound, str(exc))
            return "again"
        _finish(outbound, OutboundEmail.Status.FAILED, f"{UNCERTAIN} ({exc})")
        return "uncertain"
    except OSError as exc:
        _finish(outbound, OutboundEmail.Status.FAILED, f"{UNCERTAIN} ({exc})")
        return "uncertain"
    finally:
        with contextlib.suppress(Exception):  # a failing QUIT does not undo a delivered mail
            connection.close()
    _finish(outbound, OutboundEmail.Status.SENT)
    return "sent"


@job(max_attempts=MAX_ATTEMPTS, backoff_base=30.0)
def send_email(outbound_id: int) -> str:
    """Send one outbox row, at most once. A temporary failure (the server could not be
    reached, or answered 4xx) raises so the job is tried again later; after the last
    attempt the row fails and its origin is told."""
    outbound = _claim(outbound_id)
    if outbound is None:
        return "not sent again"
    outcome = _transmit(outbound)
    if outcome == "again":
        if outbound.attempts >= MAX_ATTEMPTS:
            _finish(
                outbound,
                OutboundEmail.Status.FAILED,
                f"Gave up after {outbound.attempts} tries: {outbound.error}",
            )
            return "gave up"
        raise TemporaryFailure(outbound.error)
    return outcome


@periodic(every=datetime.timedelta(minutes=5))
@job(max_attempts=1)
def send_forgotten_email() -> int:
    """Rows queued but never tried (the process stopped between committing the row and
    starting its job): start them. Safe beside a late job, which finds the row taken."""
    forgotten = OutboundEmail.objects.filter(
        status=OutboundEmail.Status.QUEUED,
        attempts=0,
        created_at__lt=timezone.now() - SENDING_FOR,
    ).values_list("pk", flat=True)[:1000]
    for pk in forgotten:
        send_email.enqueue(pk)
    return len(forgotten)
