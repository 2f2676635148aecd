"""An SMTP receiver, so a mail server (or anyone, in a demo) can deliver mail directly.

Recipients are checked at RCPT: an address that is no active mailbox is refused
then (550), so the sending server bounces it instead of us losing it. A message over
the size limit is refused at DATA (552). Each accepted message is stored before the
250 reply, so a message the sender was told we have is never lost.
"""

from __future__ import annotations

import logging
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session
from asgiref.sync import sync_to_async
from django.db import connections

from luukku.channels.email.receive import MAX_BYTES, accept
from luukku.channels.models import Mailbox

logger = logging.getLogger("luukku.channels.email")


def _find(address: str) -> Mailbox | None:
    return Mailbox.objects.filter(address__iexact=address.strip(), is_active=True).first()


def _mailbox(address: str) -> Mailbox | None:
    try:
        return _find(address)
    finally:
        connections.close_all()  # this thread's connection: the pool's threads come and go


def _deliver(addresses: list[str], content: bytes) -> None:
    try:
        for address in addresses:
            mailbox = _find(address)
            if mailbox is not None:
                accept(mailbox, content)
    finally:
        connections.close_all()


class DeliverToMailboxes:
    """aiosmtpd handler: the hooks are called by aiosmtpd with these names."""

    async def handle_RCPT(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: Any
    ) -> str:
        if await sync_to_async(_mailbox, thread_sensitive=False)(address) is None:
            return "550 5.1.1 No such mailbox here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        content = envelope.original_content or b""
        try:
            await sync_to_async(_deliver, thread_sensitive=False)(
                list(envelope.rcpt_tos), bytes(content)
            )
        except Exception:  # the store failed: tell the sender to try again later
            logger.exception("could not store an inbound message")
            return "451 4.3.0 Could not store the message; try again later"
        return "250 2.0.0 Message accepted"


def receiver(host: str, port: int) -> Controller:
    """A receiver on host:port, not yet started (`.start()`, `.stop()`)."""
    return Controller(
        DeliverToMailboxes(),
        hostname=host,
        port=port,
        data_size_limit=MAX_BYTES,
        decode_data=False,
        server_hostname="luukku",
    )
