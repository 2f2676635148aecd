"""Mail delivered over SMTP to the receiver `luukku serve` starts, on loopback."""

from __future__ import annotations

import smtplib
from collections.abc import Iterator

import pytest
from django.db import connection

from luukku.channels.email.receive import MAX_BYTES
from luukku.channels.email.smtp_receiver import receiver
from luukku.channels.models import Mailbox
from luukku.desk.models import Case
from tests.desk.conftest import Desk
from tests.test_staff_email_smtp import free_port

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def smtp(desk: Desk) -> Iterator[int]:
    if connection.vendor != "postgresql":
        pytest.skip("the receiver's threads need a database that takes concurrent connections")
    box = Mailbox.objects.create(
        address="housing@demo.luukku.test", name="Housing", org_unit=desk.tree.housing
    )
    desk.housing.mailbox = box
    desk.housing.save()
    port = free_port()
    server = receiver("127.0.0.1", port)
    server.start()
    try:
        yield port
    finally:
        server.stop()


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
