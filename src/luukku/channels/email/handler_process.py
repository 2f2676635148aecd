"""What runs in a mail handler process (see smtp_receiver.MailHandlers).

The processes are spawned, so they import this module before Django is set up: it
imports the rest of Luukku only inside its functions, after `start` has run."""

from __future__ import annotations

import signal
from typing import Any


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


def find_mailbox(address: str) -> int | None:
    """The active mailbox with this address, or None."""
    from django.db import close_old_connections

    from luukku.channels.models import Mailbox

    close_old_connections()  # a connection the database dropped is replaced
    found = Mailbox.objects.filter(address__iexact=address.strip(), is_active=True)
    mailbox_id: int | None = found.values_list("pk", flat=True).first()
    return mailbox_id


def deliver(mailbox_ids: list[int], content: bytes) -> None:
    """Store and handle one message for each of the mailboxes."""
    from django.db import close_old_connections

    from luukku.channels.email.receive import accept
    from luukku.channels.models import Mailbox

    close_old_connections()
    mailboxes = {m.pk: m for m in Mailbox.objects.filter(pk__in=mailbox_ids).select_related()}
    for mailbox_id in mailbox_ids:
        if mailbox_id in mailboxes:  # else removed since RCPT: as if refused then
            accept(mailboxes[mailbox_id], content)
