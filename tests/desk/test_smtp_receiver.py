"""Mail delivered over SMTP to the receiver `luukku serve` starts, on loopback."""

from __future__ import annotations

import smtplib
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection

from luukku.channels.email.receive import MAX_BYTES
from luukku.channels.email.smtp_receiver import MailHandlers, receiver
from luukku.channels.models import InboundReceipt, Mailbox
from luukku.desk.models import Case
from tests.desk.conftest import Desk
from tests.test_staff_email_smtp import free_port

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(scope="module")
def handlers() -> Iterator[MailHandlers]:
    """Two handler processes, as on a two-core machine (started once: they take a moment)."""
    pool = MailHandlers(2)
    yield pool
    pool.shutdown()


@pytest.fixture
def smtp(desk: Desk, handlers: MailHandlers) -> Iterator[int]:
    if connection.vendor != "postgresql":
        pytest.skip("the receiver's threads need a database that takes concurrent connections")
    box = Mailbox.objects.create(
        address="housing@demo.luukku.test", name="Housing", org_unit=desk.tree.housing
    )
    desk.housing.mailbox = box
    desk.housing.save()
    port = free_port()
    server = receiver("127.0.0.1", port, handlers)
    server.start()
    try:
        yield port
    finally:
        server.stop()


def stored_and_handled(receipts: int, seconds: float = 10) -> bool:
    """The 250 comes once a message is stored; its case follows a moment later."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if InboundReceipt.objects.filter(status="handled").count() >= receipts:
            return True
        time.sleep(0.05)
    return False


MAIL = (
    b"From: Aino Virtanen <aino@example.fi>\r\n"
    b"To: housing@demo.luukku.test\r\n"
    b"Subject: Avain hukassa\r\n"
    b"Message-ID: <smtp-1@example.fi>\r\n"
    b"Content-Type: text/plain; charset=utf-8\r\n\r\n"
    b"Hukkasin avainkorttini.\r\n"
)


def test_mail_sent_with_smtplib_becomes_a_case(smtp: int) -> None:
    with smtplib.SMTP("127.0.0.1", smtp, timeout=10) as client:
        refused = client.sendmail("aino@example.fi", ["housing@demo.luukku.test"], MAIL)

    assert refused == {}
    assert stored_and_handled(1)
    case = Case.objects.get()
    assert (case.subject, case.queue.slug) == ("Avain hukassa", "housing")
    assert case.messages.get().body_text == "Hukkasin avainkorttini."


def test_an_unknown_recipient_and_an_oversized_message_are_refused_with_a_reason(
    smtp: int,
) -> None:
    with smtplib.SMTP("127.0.0.1", smtp, timeout=10) as client:
        with pytest.raises(smtplib.SMTPRecipientsRefused) as unknown:
            client.sendmail("aino@example.fi", ["nobody@demo.luukku.test"], MAIL)
        assert unknown.value.recipients["nobody@demo.luukku.test"][0] == 550
    big = MAIL + b"x" * (MAX_BYTES + 1)
    with (
        smtplib.SMTP("127.0.0.1", smtp, timeout=30) as client,
        pytest.raises((smtplib.SMTPDataError, smtplib.SMTPSenderRefused)) as too_big,
    ):
        client.sendmail("aino@example.fi", ["housing@demo.luukku.test"], big)
    assert too_big.value.smtp_code == 552
    assert not Case.objects.exists()


@pytest.fixture
def lmtp(smtp: int, handlers: MailHandlers) -> Iterator[int]:
    """An LMTP receiver, beside the SMTP one (its mailbox is set up by `smtp`)."""
    port = free_port()
    server = receiver("127.0.0.1", port, handlers, lmtp=True)
    server.start()
    try:
        yield port
    finally:
        server.stop()


def test_a_mail_server_delivers_over_lmtp_with_a_reply_per_recipient(desk: Desk, lmtp: int) -> None:
    health = Mailbox.objects.create(
        address="health@demo.luukku.test", name="Health", org_unit=desk.tree.health
    )
    desk.health.mailbox = health
    desk.health.save()
    recipients = ["housing@demo.luukku.test", "health@demo.luukku.test"]

    with smtplib.LMTP("127.0.0.1", lmtp, timeout=10) as client:
        client.ehlo_or_helo_if_needed()
        client.mail("aino@example.fi")
        for address in recipients:
            assert client.rcpt(address)[0] == 250
        client.putcmd("data")
        assert client.getreply()[0] == 354
        client.send(MAIL + b".\r\n")
        replies = [client.getreply()[0] for _ in recipients]

    assert replies == [250, 250]
    # Sent to two of our mailboxes, kept once: in the first mailbox's queue.
    assert stored_and_handled(2)
    case = Case.objects.get()
    assert case.queue.slug == "housing"
    assert case.messages.count() == 1

    # Too big: refused for each recipient, so the mail server bounces it at once.
    with smtplib.LMTP("127.0.0.1", lmtp, timeout=30) as client:
        client.ehlo_or_helo_if_needed()
        client.mail("aino@example.fi")
        for address in recipients:
            client.rcpt(address)
        client.putcmd("data")
        client.getreply()
        lines = MAX_BYTES // 1000 + 1
        client.send(MAIL + (b"x" * 998 + b"\r\n") * lines + b".\r\n")
        assert [client.getreply()[0] for _ in recipients] == [552, 552]


def test_mail_on_several_connections_at_once_is_all_stored(smtp: int) -> None:
    """As a mail server delivers: several connections in parallel, the work spread over
    the handler processes."""

    def send(n: int) -> None:
        mail = MAIL.replace(b"<smtp-1@", f"<smtp-parallel-{n}@".encode())
        with smtplib.SMTP("127.0.0.1", smtp, timeout=30) as client:
            client.sendmail("aino@example.fi", ["housing@demo.luukku.test"], mail)

    with ThreadPoolExecutor(max_workers=4) as senders:
        list(senders.map(send, range(8)))

    assert stored_and_handled(8)
    assert Case.objects.count() == 8


def test_a_mailbox_switched_off_while_mail_comes_in_loses_nothing(smtp: int) -> None:
    """Its address was known at RCPT a moment ago: what the sender was told is kept (250
    and stored); from the next lookup on, it is refused (550)."""
    with smtplib.SMTP("127.0.0.1", smtp, timeout=10) as client:
        client.sendmail("aino@example.fi", ["housing@demo.luukku.test"], MAIL)
    assert stored_and_handled(1)
    Mailbox.objects.update(is_active=False)
    second = MAIL.replace(b"<smtp-1@", b"<smtp-2@")

    with smtplib.SMTP("127.0.0.1", smtp, timeout=10) as client:
        refused = client.sendmail("aino@example.fi", ["housing@demo.luukku.test"], second)

    assert refused == {}
    assert stored_and_handled(2)
    assert InboundReceipt.objects.filter(external_id="<smtp-2@example.fi>").exists()
