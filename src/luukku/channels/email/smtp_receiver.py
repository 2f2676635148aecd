"""SMTP and LMTP receivers, so a mail server (or anyone, in a demo) can deliver mail
directly.

Recipients are checked at RCPT: an address that is no active mailbox is refused
then (550), so the sending server bounces it instead of us losing it. A message over
the size limit is refused at DATA (552). Each accepted message is stored before the
250 reply, so a message the sender was told we have is never lost. Over LMTP (RFC 2033)
each recipient gets its own reply after DATA, so a mail server delivering to two
mailboxes retries only the one that failed.

The receiver's event loop only speaks the protocol. Looking mailboxes up, storing and
handling mail happen in a pool of handler processes (`MailHandlers`), each keeping its
database connection, so the work spreads over the machine's cores however the
senders' connections come in.
"""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
import os
import threading
import time
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.lmtp import LMTP
from aiosmtpd.smtp import SMTP, Envelope, Session
from django.conf import settings
from django.db import connection

from luukku.channels.email import handler_process, returns
from luukku.channels.email.receive import MAX_BYTES

logger = logging.getLogger("luukku.channels.email")

TOO_BIG = "552 5.3.4 Message too big for this mailbox"


def default_processes() -> int:
    """One handler per core on PostgreSQL; SQLite writes one transaction at a time."""
    return max(1, os.cpu_count() or 1) if connection.vendor == "postgresql" else 1


class MailHandlers:
    """The processes that look mailboxes up and store and handle mail. A process that
    dies (killed for its memory, say) breaks the pool; a new one is started for the next
    message, so mail keeps coming in."""

    def __init__(self, processes: int | None = None) -> None:
        self.processes = processes or default_processes()
        self.pool = self._start()
        self.lock = threading.Lock()

    def _start(self) -> ProcessPoolExecutor:
        return ProcessPoolExecutor(
            max_workers=self.processes,
            mp_context=multiprocessing.get_context("spawn"),  # no inherited connections
            initializer=handler_process.start,
            initargs=(settings.DATABASES,),
        )

    async def run(self, function: Any, *args: Any) -> Any:
        loop = asyncio.get_running_loop()
        pool = self.pool
        try:
            return await loop.run_in_executor(pool, function, *args)
        except BrokenProcessPool:
            logger.error("a mail handler process died; starting new ones")
            with self.lock:
                if self.pool is pool:
                    self.pool = self._start()
            return await loop.run_in_executor(self.pool, function, *args)

    def shutdown(self) -> None:
        self.pool.shutdown(wait=True)


class DeliverToMailboxes:
    """aiosmtpd handler: the hooks are called by aiosmtpd with these names.

    A mailbox found at RCPT is remembered for a few seconds, so a busy sender's stream
    of mail does not look it up for every message; one switched off meanwhile still
    takes what comes within that time (stored, nothing lost), and one removed answers
    451 at DATA, so the sender's retry is refused."""

    KNOWN_FOR = 10.0

    def __init__(self, handlers: MailHandlers) -> None:
        self.handlers = handlers
        self.known: dict[str, tuple[float, int]] = {}

    async def _mailbox_id(self, address: str) -> int | None:
        key = address.strip().lower()
        remembered = self.known.get(key)
        if remembered is not None and time.monotonic() - remembered[0] < self.KNOWN_FOR:
            return remembered[1]
        mailbox_id: int | None = await self.handlers.run(handler_process.find_mailbox, key)
        if mailbox_id is not None:
            self.known[key] = (time.monotonic(), mailbox_id)
        return mailbox_id

    async def handle_RCPT(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: Any
    ) -> str:
        target: int | str
        if returns.is_return_path(address):  # a bounce or complaint (a signature check)
            target = address
        else:
            try:
                mailbox_id = await self._mailbox_id(address)
            except Exception:  # the database is away: the sender tries again later
                logger.exception("could not look up the mailbox %s", address)
                return "451 4.3.0 Could not check the recipient now; try again later"
            if mailbox_id is None:
                return "550 5.1.1 No such mailbox here"
            target = mailbox_id
        envelope.rcpt_tos.append(address)
        # Found once, at RCPT: DATA delivers to these without looking them up again.
        envelope.luukku_targets = [*getattr(envelope, "luukku_targets", []), target]  # type: ignore[attr-defined]
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        content = bytes(envelope.original_content or b"")
        targets: list[int | str] = getattr(envelope, "luukku_targets", [])
        if isinstance(server, LMTP):  # one reply per recipient, in RCPT order
            if len(content) > MAX_BYTES:
                return "\r\n".join([TOO_BIG] * len(targets))
            return "\r\n".join([await self._deliver_to(content, [t]) for t in targets])
        return await self._deliver_to(content, targets)

    async def _deliver_to(self, content: bytes, targets: list[int | str]) -> str:
        mailbox_ids = [t for t in targets if isinstance(t, int)]
        answer = "250 2.0.0 Message accepted"
        for address in (t for t in targets if isinstance(t, str)):
            try:
                await self.handlers.run(handler_process.deliver_return, address, content)
            except Exception:
                logger.exception("could not store a returned message")
                return "451 4.3.0 Could not store the message; try again later"
        if mailbox_ids:
            answer = await self._deliver(content, mailbox_ids)
        return answer

    async def handle_exception(self, error: Exception) -> str:
        """Anything unforeseen is temporary to the sender (4xx): it keeps the mail and
        tries again, instead of bouncing it."""
        logger.exception("SMTP session failed", exc_info=error)
        return "451 4.3.0 Temporary failure; try again later"

    async def _deliver(self, content: bytes, mailbox_ids: list[int]) -> str:
        try:
            await self.handlers.run(handler_process.deliver, mailbox_ids, content)
        except Exception:  # the store failed: tell the sender to try again later
            logger.exception("could not store an inbound message")
            return "451 4.3.0 Could not store the message; try again later"
        return "250 2.0.0 Message accepted"


class _Receiver(Controller):
    def __init__(self, *args: Any, lmtp: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.lmtp = lmtp

    def factory(self) -> SMTP:
        return (LMTP if self.lmtp else SMTP)(self.handler, **self.SMTP_kwargs)


def receiver(host: str, port: int, handlers: MailHandlers, *, lmtp: bool = False) -> Controller:
    """An SMTP (or LMTP) receiver on host:port, not yet started (`.start()`, `.stop()`);
    several receivers may share one set of handlers.

    LMTP speaks to the local mail server, which limits message sizes itself; the size is
    checked after DATA, so each recipient gets its refusal as RFC 2033 asks (aiosmtpd's
    own limit answers once for all)."""
    return _Receiver(
        DeliverToMailboxes(handlers),
        lmtp=lmtp,
        hostname=host,
        port=port,
        data_size_limit=None if lmtp else MAX_BYTES,
        decode_data=False,
        server_hostname="luukku",
    )
