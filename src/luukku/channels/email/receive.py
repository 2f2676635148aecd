"""Accepting an email for a mailbox: keep it, then hand it on, losing nothing.

The raw message is stored first, in its own transaction, so that whatever happens
next (a parser bug, a database error) it can be seen and retried from the failed
list. A Message-ID already received by the mailbox is acknowledged and dropped.
"""

from __future__ import annotations

import datetime
import logging
import time

from django.db import IntegrityError, connection, transaction
from django.db.models import F
from django.utils import timezone

from luukku.channels import handlers
from luukku.channels.email import returns
from luukku.channels.email.parse import parse_email
from luukku.channels.inbound import InboundMessage
from luukku.channels.models import InboundReceipt, Mailbox
from luukku.core.jobs import job, periodic

logger = logging.getLogger("luukku.channels.email")

MAX_BYTES = 25 * 1024 * 1024


def _message_id(raw: bytes) -> str:
    """The Message-ID header, read without parsing the whole message."""
    head = raw.split(b"\r\n\r\n", 1)[0].split(b"\n\n", 1)[0]
    for line in head.replace(b"\r\n", b"\n").split(b"\n"):
        if line[:11].lower() == b"message-id:":
            return line[11:].strip().decode("ascii", "replace")[:998]
    return ""


def store(mailbox: Mailbox, raw: bytes) -> tuple[InboundReceipt | None, bool]:
    """Keep the message: (its receipt, whether it is new). None when this mailbox already
    received and handled it. A message delivered again after we stored it but did not
    get to handle it (the process stopped in between, or another delivery of it is being
    handled right now) is handed back as not new."""
    external_id = _message_id(raw)

    def keep() -> InboundReceipt:
        return InboundReceipt.objects.create(
            channel="email", mailbox=mailbox, external_id=external_id, raw=raw
        )

    try:
        if connection.in_atomic_block:  # in a caller's transaction: a savepoint keeps it usable
            with transaction.atomic():
                return keep(), True
        return keep(), True  # one statement on its own is committed by itself
    except IntegrityError:
        earlier = InboundReceipt.objects.filter(mailbox=mailbox, external_id=external_id).first()
        if earlier is None:
            raise  # no duplicate: something else is wrong (the mailbox is gone); not kept
        if earlier.status == InboundReceipt.Status.RECEIVED:
            return earlier, False
        logger.info("duplicate delivery of %s to %s ignored", external_id, mailbox.address)
        return None, False


def _still_waiting(receipt: InboundReceipt) -> bool:
    """Lock the receipt; False when another delivery of the message handled it first."""
    current = InboundReceipt.objects.select_for_update().filter(pk=receipt.pk)
    return current.filter(status=InboundReceipt.Status.RECEIVED).exists()


def handle(receipt: InboundReceipt, *, claim: bool = False) -> InboundReceipt:
    """Parse the stored message and hand it to the desk; a failure is recorded, not raised.
    With `claim`, the receipt may be handled elsewhere at the same time (a message
    delivered twice at once): it is locked first and left alone if that one won."""
    receipt.attempts += 1
    try:
        with transaction.atomic():
            if claim and not _still_waiting(receipt):
                receipt.refresh_from_db()
                return receipt
            assert receipt.mailbox is not None
            message = parse_email(bytes(receipt.raw))
            return_path = returns.return_path_of(bytes(receipt.raw), message)
            if return_path is not None:  # a bounce or complaint, fetched from a mailbox
                receipt.outcome = returns.handle_message(return_path, message)[:300]
            else:
                receipt.outcome = handlers.handler_for("email")(message, receipt.mailbox)[:300]
            receipt.status = InboundReceipt.Status.HANDLED
            receipt.error = ""
            receipt.handled_at = timezone.now()
            # Not the raw message again: it is stored already, and may be megabytes.
            receipt.save(update_fields=["outcome", "status", "error", "handled_at", "attempts"])
    except Exception as exc:  # anything at all: the message waits in the failed list
        logger.exception("inbound message %s failed", receipt.pk)
        receipt.status = InboundReceipt.Status.FAILED
        receipt.error = f"{type(exc).__name__}: {exc}"[:2000]
        receipt.save(update_fields=["status", "error", "attempts"])
    return receipt


WAIT_SECONDS = 0.25


def handle_stored(
    receipt_ids: list[int], *, rounds: int = 3, parsed: dict[int, InboundMessage] | None = None
) -> None:
    """Handle stored messages many at a time, where the desk can (PostgreSQL), in one
    transaction. What a batch leaves waiting for another of its messages (an answer to a
    mail opened in the same batch) goes in the next batch; what it cannot take at all,
    or everything if it fails as a whole, one by one. A receipt another process is
    handling, or has handled, is left alone."""
    batch_handler = handlers.batch_handler_for("email")
    if batch_handler is None or connection.vendor != "postgresql":
        for receipt in InboundReceipt.objects.filter(pk__in=receipt_ids).order_by("pk"):
            handle(receipt, claim=True)
        return
    left: list[int] = []
    parsed = {} if parsed is None else parsed  # kept for the next round
    try:
        with transaction.atomic():
            receipts = list(
                InboundReceipt.objects.select_for_update(skip_locked=True, of=("self",))
                .filter(pk__in=receipt_ids, status=InboundReceipt.Status.RECEIVED)
                .select_related("mailbox__org_unit")
                .order_by("pk")
            )
            items, unreadable = [], []
            for receipt in receipts:
                try:
                    if receipt.pk not in parsed:
                        parsed[receipt.pk] = parse_email(bytes(receipt.raw))
                    if returns.return_path_of(bytes(receipt.raw), parsed[receipt.pk]):
                        unreadable.append(receipt.pk)  # a bounce: handled one by one
                        continue
                    items.append((receipt.pk, parsed[receipt.pk], receipt.mailbox))
                except Exception:  # its own failure, recorded one by one below
                    unreadable.append(receipt.pk)
            outcomes, left, waiting = batch_handler(items)  # type: ignore[arg-type]
            left += unreadable
            _mark_handled(outcomes)
    except Exception:
        logger.exception("a batch of %s inbound messages failed; one by one", len(receipt_ids))
        left, waiting, rounds = receipt_ids, [], 0
    if rounds > 1 and (waiting or (left and len(left) < len(receipt_ids))):
        if waiting:
            time.sleep(WAIT_SECONDS)  # for the other process's batch to commit
        handle_stored(sorted([*left, *waiting]), rounds=rounds - 1, parsed=parsed)
        return
    left = sorted([*left, *waiting])
    for receipt in InboundReceipt.objects.filter(pk__in=left).order_by("pk"):
        handle(receipt, claim=True)


def _mark_handled(outcomes: dict[int, str]) -> None:
    """What is the same for all in one statement; the outcomes in another."""
    InboundReceipt.objects.filter(pk__in=list(outcomes)).update(
        status=InboundReceipt.Status.HANDLED,
        error="",
        handled_at=timezone.now(),
        attempts=F("attempts") + 1,
    )
    InboundReceipt.objects.bulk_update(
        [InboundReceipt(pk=pk, outcome=outcome[:300]) for pk, outcome in outcomes.items()],
        ["outcome"],
    )


def accept(mailbox: Mailbox, raw: bytes) -> InboundReceipt | None:
    """Store and handle one delivered message. None for a duplicate delivery."""
    receipt, new = store(mailbox, raw)
    return handle(receipt, claim=not new) if receipt is not None else None


STUCK_AFTER = datetime.timedelta(minutes=5)


@periodic(every=datetime.timedelta(minutes=5))
@job(max_attempts=1)
def handle_stuck_receipts() -> int:
    """Messages stored but never handled (the process stopped in between), whose sender
    will not deliver them again: handle them now."""
    stuck = InboundReceipt.objects.filter(
        channel="email",
        status=InboundReceipt.Status.RECEIVED,
        received_at__lt=timezone.now() - STUCK_AFTER,
    ).select_related("mailbox")[:500]
    for receipt in stuck:
        handle(receipt, claim=True)
    return len(stuck)
