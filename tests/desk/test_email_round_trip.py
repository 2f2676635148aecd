"""The whole way: a customer's mail to a case, the agent's reply out through a real SMTP
server with the thread's headers, the customer's answer back into the same case."""

from __future__ import annotations

from typing import Any

import pytest

from luukku.channels.email.receive import accept
from luukku.channels.models import Mailbox, OutboundEmail
from luukku.customers.models import EmailAddress
from luukku.desk.models import Case, Delivery
from luukku.desk.services import reply
from tests.desk.conftest import Desk
from tests.test_jobs import run_due_jobs
from tests.test_staff_email_smtp import use_smtp

pytestmark = pytest.mark.django_db(transaction=True)

FIRST = (
    b"From: Kari Nordmann <kari.n@example.no>\r\n"
    b"To: housing@demo.luukku.test\r\n"
    b"Subject: Lekker dusj\r\n"
    b"Message-ID: <first@example.no>\r\n"
    b"Content-Type: text/plain; charset=utf-8\r\n\r\n"
    b"Dusjen lekker.\r\n"
)


def test_mail_in_reply_out_answer_back_into_the_same_case(
    desk: Desk,
    mailbox: Mailbox,
    settings: Any,
    smtp_server: Any,
) -> None:
    sink, port = smtp_server
    use_smtp(settings, f"smtp://127.0.0.1:{port}")
    accept(mailbox, FIRST)
    case = Case.objects.get()

    answer = reply(case, by=desk.kari, text="En rørlegger kommer mandag.", version=case.version)
    run_due_jobs()

    ack, (recipients, sent) = sink.messages
    assert ack[1]["Auto-Submitted"] == "auto-replied"
    assert f"[#{case.number}]" in ack[1]["Subject"]
    assert recipients == ["kari.n@example.no"]
    assert sent["From"] == "Nordby Housing <housing@demo.luukku.test>"
    assert sent["Subject"] == f"Re: Lekker dusj [#{case.number}]"
    assert sent["Message-ID"] == answer.external_id
    assert (sent["In-Reply-To"], sent["References"]) == ("<first@example.no>", "<first@example.no>")
    assert "En rørlegger kommer mandag." in sent.get_content()
    answer.refresh_from_db()
    assert answer.delivery == Delivery.SENT and answer.sent_at is not None

    back = (
        "From: Kari Nordmann <kari.n@example.no>\r\n"
        "To: housing@demo.luukku.test\r\n"
        f"Subject: Re: Re: Lekker dusj [#{case.number}]\r\n"
        "Message-ID: <second@example.no>\r\n"
        f"In-Reply-To: {answer.external_id}\r\n"
        f"References: <first@example.no> {answer.external_id}\r\n"
        "Content-Type: text/plain; charset=utf-8\r\n\r\n"
        "Takk, mandag passer.\r\n"
    ).encode()
    accept(mailbox, back)

    assert Case.objects.count() == 1
    assert [m.direction for m in case.messages.order_by("pk")] == ["inbound", "outbound", "inbound"]


def test_a_refused_recipient_fails_the_reply_and_a_bouncing_address_is_not_mailed(
    desk: Desk,
    mailbox: Mailbox,
    settings: Any,
    smtp_server: Any,
) -> None:
    sink, port = smtp_server
    use_smtp(settings, f"smtp://127.0.0.1:{port}")
    accept(mailbox, FIRST)
    case = Case.objects.get()
    EmailAddress.objects.filter(address_lower="kari.n@example.no").update(
        bounced_at="2026-11-01T00:00:00Z"
    )

    answer = reply(case, by=desk.kari, text="Hei", version=case.version)
    run_due_jobs()

    answer.refresh_from_db()
    assert answer.delivery == Delivery.FAILED and "came back" in answer.delivery_error
    assert [m["Auto-Submitted"] for _to, m in sink.messages] == ["auto-replied"]
    assert not OutboundEmail.objects.exclude(headers__has_key="Auto-Submitted").exists()


def test_an_unreachable_server_keeps_the_reply_queued_for_a_retry(
    desk: Desk, mailbox: Mailbox, settings: Any
) -> None:
    use_smtp(settings, "smtp://127.0.0.1:9")  # nothing listens on the discard port
    accept(mailbox, FIRST)
    case = Case.objects.get()

    answer = reply(case, by=desk.kari, text="Hei", version=case.version)
    run_due_jobs()

    outbound = OutboundEmail.objects.get(message_id=answer.external_id)
    assert (outbound.status, outbound.attempts) == ("queued", 1)
    assert outbound.error
    answer.refresh_from_db()
    assert answer.delivery == Delivery.QUEUED


def test_a_subject_cannot_smuggle_headers_into_our_reply(
    desk: Desk,
    mailbox: Mailbox,
    settings: Any,
    smtp_server: Any,
) -> None:
    sink, port = smtp_server
    use_smtp(settings, f"smtp://127.0.0.1:{port}")
    accept(mailbox, FIRST)
    case = Case.objects.get()
    Case.objects.filter(pk=case.pk).update(subject="Hei\r\nBcc: spy@evil.example")
    case.refresh_from_db()

    reply(case, by=desk.kari, text="Hei", version=case.version)
    run_due_jobs()

    _ack, (recipients, sent) = sink.messages
    assert recipients == ["kari.n@example.no"]
    assert sent["Bcc"] is None
    assert sent["Subject"] == f"Re: Hei Bcc: spy@evil.example [#{case.number}]"
