"""Mail fetched from a real IMAP server (Dovecot on loopback) becomes cases; fetched mail
is marked only after it is ours, and nothing is fetched twice."""

from __future__ import annotations

import imaplib
import threading
import time
from collections.abc import Callable, Iterator

import pytest

from luukku.channels.email.imap import ImapUnavailable, fetch, fetch_imap_mail, watch
from luukku.channels.models import InboundReceipt, Mailbox
from luukku.desk.models import Case
from tests.desk.conftest import Desk
from tests.dovecot import Dovecot, run_dovecot

pytestmark = pytest.mark.django_db

ADDRESS = "housing@demo.luukku.test"


@pytest.fixture(scope="module")
def server() -> Iterator[Dovecot]:
    yield from run_dovecot({ADDRESS: "s3cret"})


@pytest.fixture
def dovecot(server: Dovecot) -> Dovecot:
    """The module's server with an empty inbox."""
    client = imaplib.IMAP4("127.0.0.1", server.port)
    client.login(ADDRESS, "s3cret")
    _status, data = client.select("INBOX")
    if int(data[0] or 0):
        client.store("1:*", "+FLAGS", "\\Deleted")
        client.expunge()
    client.logout()
    return server


def imap_mailbox(desk: Desk, port: int, security: str) -> Mailbox:
    """The housing queue's mailbox, fetched from the IMAP server on `port`."""
    box = Mailbox.objects.create(
        address=ADDRESS,
        name="Housing",
        org_unit=desk.tree.housing,
        imap_host="127.0.0.1",
        imap_port=port,
        imap_security=security,
        imap_password_env="LUUKKU_IMAP_HOUSING",
        acknowledge=False,
    )
    desk.housing.mailbox = box
    desk.housing.save()
    return box


@pytest.fixture
def mailbox(desk: Desk, dovecot: Dovecot, monkeypatch: pytest.MonkeyPatch) -> Mailbox:
    monkeypatch.setenv("LUUKKU_IMAP_HOUSING", "s3cret")
    return imap_mailbox(desk, dovecot.port, "none")


def deliver(dovecot: Dovecot, *mails: bytes) -> None:
    client = imaplib.IMAP4("127.0.0.1", dovecot.port)
    client.login(ADDRESS, "s3cret")
    for raw in mails:
        client.append("INBOX", None, None, raw)
    client.logout()


def unseen(dovecot: Dovecot) -> int:
    client = imaplib.IMAP4("127.0.0.1", dovecot.port)
    client.login(ADDRESS, "s3cret")
    client.select("INBOX")
    _status, data = client.search(None, "UNSEEN")
    client.logout()
    return len(data[0].split())


def mail(n: int) -> bytes:
    return (
        f"From: Kari <kari@example.no>\r\nTo: {ADDRESS}\r\nSubject: Sak {n}\r\n"
        f"Message-ID: <imap-{n}@example.no>\r\n\r\nTekst {n}\r\n"
    ).encode()


def test_unread_mail_becomes_cases_and_is_marked_read(dovecot: Dovecot, mailbox: Mailbox) -> None:
    deliver(dovecot, mail(1), mail(2))

    assert fetch_imap_mail.call() == 2

    assert sorted(Case.objects.values_list("subject", flat=True)) == ["Sak 1", "Sak 2"]
    assert unseen(dovecot) == 0
    assert fetch(mailbox) == 0 and Case.objects.count() == 2
    mailbox.refresh_from_db()
    assert mailbox.imap_checked_at is not None and mailbox.imap_error == ""


def test_mail_that_fails_is_kept_in_the_failed_list_and_not_fetched_again(
    desk: Desk, dovecot: Dovecot, mailbox: Mailbox
) -> None:
    desk.housing.is_active = False
    desk.housing.save()
    deliver(dovecot, mail(3))

    fetch(mailbox)

    assert InboundReceipt.objects.get().status == "failed"
    assert unseen(dovecot) == 0 and not Case.objects.exists()


def test_a_wrong_password_is_shown_on_the_mailbox(
    dovecot: Dovecot, mailbox: Mailbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LUUKKU_IMAP_HOUSING", "wrong")
    deliver(dovecot, mail(4))

    with pytest.raises(ImapUnavailable):
        fetch(mailbox)

    mailbox.refresh_from_db()
    assert "LoginError" in mailbox.imap_error or "authentication" in mailbox.imap_error.lower()
    assert unseen(dovecot) == 1


@pytest.mark.django_db(transaction=True)
def test_a_watched_mailbox_takes_mail_in_as_it_arrives(
    dovecot: Dovecot, mailbox: Mailbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Dovecot offers IDLE: the watcher the receiver runs sees new mail without polling,
    and the poller leaves the watched mailbox alone."""
    monkeypatch.setattr("luukku.channels.email.imap.IDLE_SECONDS", 2)  # stops sooner
    stop = threading.Event()
    watcher = threading.Thread(target=watch, args=(mailbox.pk, stop))
    watcher.start()
    try:
        assert _eventually(lambda: Mailbox.objects.get(pk=mailbox.pk).imap_is_watched)
        deliver(dovecot, mail(5))
        assert _eventually(lambda: Case.objects.filter(subject="Sak 5").exists())
        assert unseen(dovecot) == 0
        deliver(dovecot, mail(6))
        assert fetch_imap_mail.call() == 0  # the poller skips it ...
        assert _eventually(lambda: Case.objects.filter(subject="Sak 6").exists())  # ... it came
    finally:
        stop.set()
        watcher.join(timeout=10)
    assert not watcher.is_alive()


def _eventually(check: Callable[[], bool], seconds: float = 10) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.1)
    return False


@pytest.fixture(scope="module")
def tls_server() -> Iterator[Dovecot]:
    yield from run_dovecot({ADDRESS: "s3cret"}, tls=True)


@pytest.mark.parametrize("security", ["ssl", "starttls"])
def test_mail_is_fetched_over_tls_and_an_untrusted_certificate_is_refused(
    desk: Desk, tls_server: Dovecot, monkeypatch: pytest.MonkeyPatch, security: str
) -> None:
    """IMAPS and STARTTLS against Dovecot with a certificate from a throwaway authority:
    trusted once the system trusts that authority (SSL_CERT_FILE), refused before."""
    monkeypatch.setenv("LUUKKU_IMAP_HOUSING", "s3cret")
    port = tls_server.imaps_port if security == "ssl" else tls_server.port
    box = imap_mailbox(desk, port, security)
    deliver(tls_server, mail(7))

    with pytest.raises(ImapUnavailable):
        fetch(box)
    box.refresh_from_db()
    assert "CERTIFICATE_VERIFY_FAILED" in box.imap_error

    monkeypatch.setenv("SSL_CERT_FILE", str(tls_server.ca_file))
    assert fetch(box) == 1
    assert Case.objects.get().subject == "Sak 7"
