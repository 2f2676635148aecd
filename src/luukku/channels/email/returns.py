"""Mail that comes back to a return path: delivery status notifications (RFC 3464) and
complaint feedback reports (RFC 5965) sent to the address a message went out with as
its envelope sender. Who sends with such addresses (campaigns, with VERP) claims them
here at start-up, and handles what arrives; the channel layer only receives, keeps
and reads it.

The message is kept before it is handled (an `InboundReceipt` of channel "return",
with the envelope recipient as a Delivered-To line on top, as a mail server would), so
one whose handling fails waits in the failed list like any other."""

from __future__ import annotations

import logging
from collections.abc import Callable
from email import policy
from email.parser import BytesHeaderParser

from django.db import transaction
from django.utils import timezone

from luukku.channels.email.parse import parse_email
from luukku.channels.inbound import InboundMessage
from luukku.channels.models import InboundReceipt

logger = logging.getLogger("luukku.channels.email")

# (envelope recipient, the message) -> a short outcome for the receipt
ReturnHandler = Callable[[str, InboundMessage], str]

_claims: list[tuple[Callable[[str], bool], ReturnHandler]] = []


def register(claims: Callable[[str], bool], handler: ReturnHandler) -> None:
    _claims.append((claims, handler))


def handler_for(address: str) -> ReturnHandler | None:
    for claims, handler in _claims:
        if claims(address):
            return handler
    return None


def is_return_path(address: str) -> bool:
    return handler_for(address) is not None


ENVELOPE_HEADERS = ("Delivered-To", "X-Original-To", "Envelope-To")


def return_path_of(raw: bytes, message: InboundMessage) -> str | None:
    """The return path a message that came to a mailbox was sent to, if it was one (a
    bounce or complaint fetched by IMAP from the mailbox the return paths lead to): the
    receiving server's envelope headers first, then the message's own recipients."""
    if not _claims:
        return None
    headers = BytesHeaderParser(policy=policy.default).parsebytes(raw)
    candidates = [str(v) for name in ENVELOPE_HEADERS for v in headers.get_all(name) or []]
    for address in [*candidates, *message.recipients]:
        address = address.strip().strip("<>")
        if address and is_return_path(address):
            return address
    return None


def handle_message(address: str, message: InboundMessage) -> str:
    handler = handler_for(address)
    if handler is None:
        raise LookupError(f"nothing handles mail to {address}")
    return handler(address, message)


def envelope_recipient(raw: bytes) -> str:
    first, _sep, _rest = raw.partition(b"\r\n")
    return first.removeprefix(b"Delivered-To: ").decode("ascii", "replace").strip()


def accept(address: str, raw: bytes) -> InboundReceipt:
    """Keep what came to a return path, then handle it."""
    receipt = InboundReceipt.objects.create(
        channel="return", raw=f"Delivered-To: {address}\r\n".encode() + raw
    )
    return handle(receipt)


def handle(receipt: InboundReceipt) -> InboundReceipt:
    raw = bytes(receipt.raw)
    address = envelope_recipient(raw)
    receipt.attempts += 1
    try:
        with transaction.atomic():
            receipt.outcome = handle_message(address, parse_email(raw))[:300]
            receipt.status = InboundReceipt.Status.HANDLED
            receipt.error = ""
            receipt.handled_at = timezone.now()
            receipt.save(update_fields=["outcome", "status", "error", "handled_at", "attempts"])
    except Exception as exc:  # kept, with the error, for an administrator to retry
        logger.exception("returned message %s failed", receipt.pk)
        receipt.status = InboundReceipt.Status.FAILED
        receipt.error = f"{type(exc).__name__}: {exc}"[:2000]
        receipt.save(update_fields=["status", "error", "attempts"])
    return receipt
