"""Fetching mail from an IMAP server, for mailboxes a mail server does not deliver to us.

Each unread message is stored (and handed to the desk) before it is marked as read or
moved: a crash between the two fetches it again, and the receipt's Message-ID check
turns the second copy into nothing. A message that could not be handled is still ours
(in the failed list), so it is marked as well.
"""

from __future__ import annotations

import contextlib
import datetime
import logging
import os
import ssl

from django.utils import timezone
from imapclient import IMAPClient
from imapclient.exceptions import IMAPClientError

from luukku.channels.email.receive import accept
from luukku.channels.models import Mailbox
from luukku.core.jobs import job, periodic

logger = logging.getLogger("luukku.channels.email")

BATCH = 200  # messages fetched per poll and mailbox


class ImapUnavailable(Exception):
    pass


def _connect(mailbox: Mailbox) -> IMAPClient:
    security = mailbox.imap_security
    context = ssl.create_default_context()
    client = IMAPClient(
        mailbox.imap_host,
        port=mailbox.imap_port,
        ssl=security == Mailbox.ImapSecurity.SSL,
        ssl_context=context,
        timeout=30,
    )
    if security == Mailbox.ImapSecurity.STARTTLS:
        client.starttls(context)
    password = os.environ.get(mailbox.imap_password_env, "") if mailbox.imap_password_env else ""
    client.login(mailbox.imap_username or mailbox.address, password)
    return client


def fetch(mailbox: Mailbox) -> int:
    """Fetch the unread messages of one mailbox; returns how many were taken in."""
    try:
        client = _connect(mailbox)
    except (IMAPClientError, OSError) as exc:
        _note(mailbox, f"{type(exc).__name__}: {exc}")
        raise ImapUnavailable(str(exc)) from exc
    taken = 0
    try:
        client.select_folder(mailbox.imap_folder)
        uids = client.search(["UNSEEN"])[:BATCH]
        for uid in uids:
            raw = client.fetch([uid], ["BODY.PEEK[]"])[uid][b"BODY[]"]
            accept(mailbox, bytes(raw))  # stored (and handled or failed) before it is marked
            if mailbox.imap_done_folder:
                client.move([uid], mailbox.imap_done_folder)
            else:
                client.add_flags([uid], [b"\\Seen"])
            taken += 1
        _note(mailbox, "")
    finally:
        with contextlib.suppress(IMAPClientError, OSError):
            client.logout()
    return taken


def _note(mailbox: Mailbox, error: str) -> None:
    Mailbox.objects.filter(pk=mailbox.pk).update(
        imap_checked_at=timezone.now(), imap_error=error[:2000]
    )


@periodic(every=datetime.timedelta(minutes=1))
@job(max_attempts=1)
def fetch_imap_mail() -> int:
    """Fetch from every active mailbox that has an IMAP server; one failing server does
    not keep the others from being read (its error shows on the mailbox)."""
    taken = 0
    for mailbox in Mailbox.objects.filter(is_active=True).exclude(imap_host=""):
        try:
            taken += fetch(mailbox)
        except ImapUnavailable:
            logger.warning("IMAP server of %s unavailable", mailbox.address)
    return taken
