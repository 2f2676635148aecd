"""Fetching mail from an IMAP server, for mailboxes a mail server does not deliver to us.

Each unread message is stored (and handed to the desk) before it is marked as read or
moved: a crash between the two fetches it again, and the receipt's Message-ID check
turns the second copy into nothing. A message that could not be handled is still ours
(in the failed list), so it is marked as well.

Where the server offers IDLE (RFC 2177), the receiver process keeps a connection open
per mailbox and takes mail in the moment it arrives (`watch`). Every mailbox is also
polled once a minute by the worker, unless a watcher has shown itself recently: a
server without IDLE, or a watcher that died, still gets its mail read.
"""

from __future__ import annotations

import contextlib
import datetime
import logging
import os
import ssl
import threading

from django.db import connections
from django.db.models import Q
from django.utils import timezone
from imapclient import IMAPClient
from imapclient.exceptions import IMAPClientError

from luukku.channels.email.receive import accept
from luukku.channels.models import IMAP_WATCHED_WITHIN, Mailbox
from luukku.core.actions.audit import audit_channel
from luukku.core.jobs import job, periodic

logger = logging.getLogger("luukku.channels.email")

BATCH = 200  # messages fetched per poll and mailbox
IDLE_SECONDS = 30  # a watcher wakes up this often to show it is alive
RETRY_SECONDS = 60


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
    try:
        client.select_folder(mailbox.imap_folder)
        taken = _take_unseen(client, mailbox)
        _note(mailbox, "")
    finally:
        with contextlib.suppress(IMAPClientError, OSError):
            client.logout()
    return taken


def _take_unseen(client: IMAPClient, mailbox: Mailbox) -> int:
    """Store, then mark, the unread messages of the selected folder."""
    uids = client.search(["UNSEEN"])[:BATCH]
    for uid in uids:
        raw = client.fetch([uid], ["BODY.PEEK[]"])[uid][b"BODY[]"]
        accept(mailbox, bytes(raw))  # stored (and handled or failed) before it is marked
        if mailbox.imap_done_folder:
            client.move([uid], mailbox.imap_done_folder)
        else:
            client.add_flags([uid], [b"\\Seen"])
    return len(uids)


def _note(mailbox: Mailbox, error: str, *, watched: bool = False) -> None:
    changes: dict[str, object] = {"imap_checked_at": timezone.now(), "imap_error": error[:2000]}
    if watched:
        changes["imap_watched_at"] = changes["imap_checked_at"]
    Mailbox.objects.filter(pk=mailbox.pk).update(**changes)


def watch(mailbox_id: int, stop: threading.Event) -> bool:
    """Take one mailbox's mail in as it arrives, over a connection kept in IDLE, until
    `stop` is set or the mailbox no longer fetches from IMAP. A server without IDLE is
    left to the poller (returns False); a lost connection is opened again after
    RETRY_SECONDS."""
    while not stop.is_set():
        mailbox = (
            Mailbox.objects.filter(pk=mailbox_id, is_active=True).exclude(imap_host="").first()
        )
        if mailbox is None:
            return True
        try:
            client = _connect(mailbox)
        except (IMAPClientError, OSError) as exc:
            _note(mailbox, f"{type(exc).__name__}: {exc}")
            stop.wait(RETRY_SECONDS)
            continue
        try:
            if b"IDLE" not in client.capabilities():
                logger.info("%s: the IMAP server has no IDLE; polled instead", mailbox.address)
                return False
            _idle(client, mailbox, stop)
        except (IMAPClientError, OSError) as exc:
            _note(mailbox, f"{type(exc).__name__}: {exc}")
            stop.wait(RETRY_SECONDS)
        finally:
            with contextlib.suppress(IMAPClientError, OSError):
                client.logout()
    return True


def _idle(client: IMAPClient, mailbox: Mailbox, stop: threading.Event) -> None:
    client.select_folder(mailbox.imap_folder)
    settings_seen = _settings(mailbox)
    while not stop.is_set():
        _note(mailbox, "", watched=True)  # first: the poller keeps away while we take mail
        _take_unseen(client, mailbox)
        client.idle()
        try:
            client.idle_check(timeout=IDLE_SECONDS)
        finally:
            client.idle_done()
        fresh = Mailbox.objects.filter(pk=mailbox.pk, is_active=True).first()
        if fresh is None or _settings(fresh) != settings_seen:
            return  # changed or switched off: reconnect with the new settings, or stop


def _settings(mailbox: Mailbox) -> tuple[object, ...]:
    return (
        mailbox.imap_host,
        mailbox.imap_port,
        mailbox.imap_security,
        mailbox.imap_username,
        mailbox.imap_password_env,
        mailbox.imap_folder,
        mailbox.imap_done_folder,
    )


@periodic(every=datetime.timedelta(minutes=1))
@job(max_attempts=1)
def fetch_imap_mail() -> int:
    """Fetch from every active mailbox that has an IMAP server and no live watcher; one
    failing server does not keep the others from being read (its error shows on the
    mailbox)."""
    taken = 0
    watched = Q(imap_watched_at__gte=timezone.now() - IMAP_WATCHED_WITHIN)
    for mailbox in Mailbox.objects.filter(is_active=True).exclude(imap_host="").exclude(watched):
        try:
            taken += fetch(mailbox)
        except ImapUnavailable:
            logger.warning("IMAP server of %s unavailable", mailbox.address)
    return taken


def keep_watching(stop: threading.Event, every: float = RETRY_SECONDS) -> None:
    """Run a watcher thread per IMAP mailbox until `stop` is set, starting one for each
    mailbox configured since (the receiver process calls this)."""
    threads: dict[int, threading.Thread] = {}
    polled: set[int] = set()  # their server has no IDLE
    while not stop.is_set():
        mailboxes = Mailbox.objects.filter(is_active=True).exclude(imap_host="")
        for pk in mailboxes.values_list("pk", flat=True):
            if pk not in polled and (pk not in threads or not threads[pk].is_alive()):
                threads[pk] = threading.Thread(
                    target=_watch_then_close,
                    args=(pk, stop, polled),
                    name=f"luukku-imap-{pk}",
                    # Not waited for at exit: a message is marked on the server only after
                    # it is stored, so one cut off mid-way is fetched again.
                    daemon=True,
                )
                threads[pk].start()
        connections.close_all()
        stop.wait(every)
    for thread in threads.values():
        thread.join(timeout=2)


def _watch_then_close(mailbox_id: int, stop: threading.Event, polled: set[int]) -> None:
    try:
        with audit_channel("email"):
            if not watch(mailbox_id, stop):
                polled.add(mailbox_id)
    except Exception:  # a bug must not end the receiver; the poller still reads the mailbox
        logger.exception("IMAP watcher of mailbox %s stopped", mailbox_id)
    finally:
        connections.close_all()
