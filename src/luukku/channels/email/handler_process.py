"""What runs in a mail handler process (see smtp_receiver.MailHandlers).

A delivered message is stored, and the sender told so (250), at once; on PostgreSQL a
writer thread then turns what was stored into cases many messages at a time
(`receive.handle_stored`), so the work per message stays small when mail pours in. On
SQLite each message is handled as it is stored. What was stored but not yet handled when
a process ends is handled by the next sweep of stuck messages.

The processes are spawned, so they import this module before Django is set up: it
imports the rest of Luukku only inside its functions, after `start` has run."""

from __future__ import annotations

import logging
import queue
import signal
import threading
import time
from typing import Any

logger = logging.getLogger("luukku.channels.email")

BATCH = 200  # most messages the writer takes at once
_stored: queue.Queue[int] = queue.Queue()
# A mailbox found at RCPT is read again for DATA only after this long: its settings
# (say, acknowledging) reach mail within it.
MAILBOXES_FOR = 10.0
_mailboxes: dict[int, tuple[float, Any]] = {}


def start(databases: dict[str, Any]) -> None:
    """Set Django up for the parent's databases (e.g. the test database it uses), with
    audit records marked as coming by email."""
    import django
    from django.conf import settings

    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C stops the receiver, which stops us
    settings.DATABASES.update(databases)
    django.setup()
    from luukku.core.actions.audit import audit_channel
    from luukku.core.runtime import settle_memory

    audit_channel("email").__enter__()  # for the life of the process
    settle_memory()
    from django.db import connection

    if connection.vendor == "postgresql":
        threading.Thread(target=_write, name="luukku-mail-writer", daemon=True).start()


def _write() -> None:
    """Handle what `deliver` stored, as many at a time as have come in meanwhile."""
    from django.db import close_old_connections

    from luukku.channels.email.receive import handle_stored
    from luukku.core.actions.audit import audit_channel

    with audit_channel("email"):
        while True:
            ids = [_stored.get()]
            while len(ids) < BATCH:
                try:
                    ids.append(_stored.get_nowait())
                except queue.Empty:
                    break
            try:
                close_old_connections()
                handle_stored(ids)
            except Exception:  # they stay stored; the sweep of stuck messages takes them
                logger.exception("the mail writer could not handle %s messages", len(ids))


def find_mailbox(address: str) -> int | None:
    """The active mailbox with this address, or None."""
    from django.db import close_old_connections

    from luukku.channels.models import Mailbox

    close_old_connections()  # a connection the database dropped is replaced
    found = Mailbox.objects.filter(address__iexact=address.strip(), is_active=True)
    mailbox_id: int | None = found.values_list("pk", flat=True).first()
    return mailbox_id


def _mailbox(mailbox_id: int) -> Any:
    from luukku.channels.models import Mailbox

    cached = _mailboxes.get(mailbox_id)
    if cached is not None and time.monotonic() - cached[0] < MAILBOXES_FOR:
        return cached[1]
    found = Mailbox.objects.filter(pk=mailbox_id).select_related().first()
    _mailboxes[mailbox_id] = (time.monotonic(), found)
    return found


def deliver_return(address: str, content: bytes) -> None:
    """Keep and handle a bounce or complaint sent to a return path."""
    from django.db import close_old_connections

    from luukku.channels.email import returns

    close_old_connections()
    returns.accept(address, content)


def deliver(mailbox_ids: list[int], content: bytes) -> None:
    """Store one message for each of the mailboxes, and have it handled (by the writer,
    or at once on SQLite)."""
    from django.db import close_old_connections, connection

    from luukku.channels.email.receive import handle, store

    close_old_connections()
    for mailbox_id in mailbox_ids:
        mailbox = _mailbox(mailbox_id)
        if mailbox is None:  # removed since RCPT: 451, and the sender's retry is refused
            raise LookupError(f"mailbox {mailbox_id} is gone")
        receipt, new = store(mailbox, content)
        if receipt is None:
            continue
        if new and connection.vendor == "postgresql":
            _stored.put(receipt.pk)
        else:
            handle(receipt, claim=not new)
