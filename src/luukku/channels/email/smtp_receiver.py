"""SMTP and LMTP receivers, so a mail server (or anyone, in a demo) can deliver mail
directly.

Recipients are checked at RCPT: an address that is no active mailbox is refused
then (550), so the sending server bounces it instead of us losing it. A message over
the size limit is refused at DATA (552). Each accepted message is stored before the
250 reply, so a message the sender was told we have is never lost. Over LMTP (RFC 2033)
each recipient gets its own reply after DATA, so a mail server delivering to two
mailboxes retries only the one that failed.

Several receiver processes can listen on one port (SO_REUSEPORT): the kernel spreads
connections over them, and each stores mail with its own threads.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

from aiosmtpd.controller import Controller
from aiosmtpd.lmtp import LMTP
from aiosmtpd.smtp import SMTP, Envelope, Session
from django.db import close_old_connections, connections

from luukku.channels.email.receive import MAX_BYTES, accept
from luukku.channels.models import Mailbox

logger = logging.getLogger("luukku.channels.email")

T = TypeVar("T")


def _find(address: str) -> Mailbox | None:
    return Mailbox.objects.filter(address__iexact=address.strip(), is_active=True).first()


def _deliver(mailboxes: list[Mailbox], content: bytes) -> None:
    for mailbox in mailboxes:
        accept(mailbox, content)


class _Workers:
    """The threads that store mail, each keeping its database connection between
    messages, all closed when the receiver stops."""

    def __init__(self, size: int) -> None:
        self.size = size
        self.pool = ThreadPoolExecutor(max_workers=size, thread_name_prefix="luukku-mail")

    async def run(self, function: Callable[..., T], *args: Any) -> T:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self.pool, self._call, function, args)

    @staticmethod
    def _call(function: Callable[..., T], args: tuple[Any, ...]) -> T:
        close_old_connections()  # a connection the database dropped is replaced
        return function(*args)

    def shutdown(self) -> None:
        # One task per thread (they wait for each other), each closing its connection.
        barrier = threading.Barrier(self.size, timeout=10)

        def close() -> None:
            with contextlib.suppress(threading.BrokenBarrierError):
                barrier.wait()
            connections.close_all()

        for future in [self.pool.submit(close) for _ in range(self.size)]:
            future.result()
        self.pool.shutdown(wait=True)


class DeliverToMailboxes:
    """aiosmtpd handler: the hooks are called by aiosmtpd with these names."""

    def __init__(self, workers: int = 4) -> None:
        self.workers = _Workers(workers)

    async def handle_RCPT(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: Any
    ) -> str:
        mailbox = await self.workers.run(_find, address)
        if mailbox is None:
            return "550 5.1.1 No such mailbox here"
        envelope.rcpt_tos.append(address)
        # Found once, at RCPT: DATA delivers to these without looking them up again.
        envelope.luukku_mailboxes = [*getattr(envelope, "luukku_mailboxes", []), mailbox]  # type: ignore[attr-defined]
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        content = bytes(envelope.original_content or b"")
        mailboxes: list[Mailbox] = getattr(envelope, "luukku_mailboxes", [])
        if isinstance(server, LMTP):  # one reply per recipient, in RCPT order
            return "\r\n".join([await self._deliver(content, [box]) for box in mailboxes])
        return await self._deliver(content, mailboxes)

    async def _deliver(self, content: bytes, mailboxes: list[Mailbox]) -> str:
        try:
            await self.workers.run(_deliver, mailboxes, content)
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

    def _create_server(self) -> Any:
        # aiosmtpd's own, plus SO_REUSEPORT so several processes can share the port.
        return self.loop.create_server(
            self._factory_invoker,
            host=self.hostname,
            port=self.port,
            ssl=self.ssl_context,
            reuse_port=True,
        )

    def _trigger_server(self) -> None:
        # aiosmtpd connects to the port to see its protocol factory work; with the port
        # shared, that connection may reach another process. Run the factory on this
        # receiver's own loop instead.
        self.loop.call_soon_threadsafe(self._factory_invoker)

    def stop(self, *args: Any, **kwargs: Any) -> None:
        super().stop(*args, **kwargs)
        handler = self.handler
        assert isinstance(handler, DeliverToMailboxes)
        handler.workers.shutdown()


def receiver(host: str, port: int, *, lmtp: bool = False) -> Controller:
    """An SMTP (or LMTP) receiver on host:port, not yet started (`.start()`, `.stop()`)."""
    return _Receiver(
        DeliverToMailboxes(),
        lmtp=lmtp,
        hostname=host,
        port=port,
        data_size_limit=MAX_BYTES,
        decode_data=False,
        server_hostname="luukku",
    )
