"""Sending SMS from the outbox: one job per message, retried while the provider cannot
take it, its outcome told to whoever queued it."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from luukku.channels import handlers
from luukku.channels.models import OutboundSms
from luukku.channels.sms.provider import NotConfigured, Provider, Refused, TemporaryError
from luukku.core.jobs import enqueue_on_commit, job

MAX_ATTEMPTS = 6


def queue_sms(*, to: str, text: str, origin: str = "") -> OutboundSms:
    """Put a text message in the outbox; it is sent once the transaction commits."""
    row = OutboundSms.objects.create(to=to, text=text, origin=origin)
    enqueue_on_commit(send_sms, row.pk)
    return row


@transaction.atomic
def _finish(row: OutboundSms, status: str, error: str = "") -> None:
    row.status, row.error = status, error[:2000]
    row.sent_at = timezone.now() if status == OutboundSms.Status.SENT else None
    row.save(update_fields=["status", "error", "sent_at", "provider_id"])
    if row.origin:
        handlers.tell(row.origin, status, error)


def _claim(row_id: int) -> OutboundSms | None:
    with transaction.atomic():
        row = OutboundSms.objects.select_for_update().filter(pk=row_id).first()
        if row is None or row.status in (OutboundSms.Status.SENT, OutboundSms.Status.FAILED):
            return None
        row.status, row.attempts = OutboundSms.Status.SENDING, row.attempts + 1
        row.save(update_fields=["status", "attempts"])
        return row


@job(max_attempts=MAX_ATTEMPTS, backoff_base=20.0)
def send_sms(row_id: int) -> str:
    """Send one outbox row. A provider that is unreachable, times out or answers 5xx/429
    is tried again later (the error stays on the row meanwhile); a refusal is final."""
    row = _claim(row_id)
    if row is None:
        return "not sent again"
    try:
        row.provider_id = Provider.from_settings().send(row.to, row.text)
    except (NotConfigured, Refused) as error:
        _finish(row, OutboundSms.Status.FAILED, str(error))
        return "failed"
    except TemporaryError as error:
        if row.attempts >= MAX_ATTEMPTS:
            _finish(row, OutboundSms.Status.FAILED, f"Gave up after {row.attempts} tries: {error}")
            return "gave up"
        row.status, row.error = OutboundSms.Status.QUEUED, str(error)[:2000]
        row.save(update_fields=["status", "error"])
        raise
    _finish(row, OutboundSms.Status.SENT)
    return "sent"
