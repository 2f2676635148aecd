"""Bounces and complaints come back to the campaign's VERP return path through the
inbound SMTP receiver: a hard bounce blocks the address, soft ones count toward a
limit, a complaint withdraws consent in the ledger; a made-up return path is refused."""

from __future__ import annotations

import smtplib
import time
from collections.abc import Iterator

import pytest
from django.db import connection

from luukku.campaigns.bounces import SOFT_LIMIT, bounced
from luukku.campaigns.models import Delivery, Run
from luukku.campaigns.services import schedule as schedule_campaign
from luukku.channels.email.smtp_receiver import MailHandlers, receiver
from luukku.channels.inbound import Bounce
from luukku.channels.models import InboundReceipt
from luukku.consent.gate import may_contact
from luukku.consent.models import ConsentRecord
from luukku.customers.models import EmailAddress, Event
from tests.campaigns.test_sending import Sink, _campaign, sink  # noqa: F401 (a fixture)
from tests.segments.conftest import People, people  # noqa: F401 (a fixture)
from tests.test_jobs import run_due_jobs
from tests.test_staff_email_smtp import free_port

pytestmark = pytest.mark.django_db(transaction=True)

DSN = """From: MAILER-DAEMON@mx.example.test
To: {to}
Subject: Undelivered Mail Returned to Sender
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status; boundary="b1"

--b1
Content-Type: text/plain

This is the mail system. Your message could not be delivered.

--b1
Content-Type: message/delivery-status

Reporting-MTA: dns; mx.example.test

Final-Recipient: rfc822; {recipient}
Action: {action}
Status: {status}
Diagnostic-Code: smtp; {code} User unknown

--b1
Content-Type: text/rfc822-headers

Message-ID: {message_id}
Subject: whatever

--b1--
"""

ARF = """From: feedback@isp.example.test
To: {to}
Subject: Complaint
MIME-Version: 1.0
Content-Type: multipart/report; report-type=feedback-report; boundary="b2"

--b2
Content-Type: text/plain

A recipient marked this message as spam.

--b2
Content-Type: message/feedback-report

Feedback-Type: abuse
User-Agent: ISP-FBL/1.0
Version: 1

--b2
Content-Type: text/rfc822-headers

Return-Path: <{to}>
Message-ID: {message_id}

--b2--
"""


@pytest.fixture(scope="module")
def handlers() -> Iterator[MailHandlers]:
    pool = MailHandlers(1)
    yield pool
    pool.shutdown()


@pytest.fixture
def inbound(handlers: MailHandlers) -> Iterator[int]:
    if connection.vendor != "postgresql":
        pytest.skip("the receiver's threads need a database that takes concurrent connections")
    port = free_port()
    server = receiver("127.0.0.1", port, handlers)
    server.start()
    yield port
    server.stop()


def _handled(n: int) -> None:
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        if InboundReceipt.objects.filter(channel="return").exclude(status="received").count() >= n:
            return
        time.sleep(0.05)
    raise AssertionError("the returned mail was not handled")


def test_a_hard_bounce_blocks_and_a_complaint_withdraws_consent(
    sink: Sink,  # noqa: F811
    people: People,  # noqa: F811
    inbound: int,
) -> None:
    schedule_campaign(_campaign(people), None, by=people.marketer)
    run_due_jobs()
    sent = {rcpt[0]: (return_path, m) for return_path, rcpt, m in sink.messages}
    anna_path, anna_mail = sent["anna@example.test"]
    bjorn_path, bjorn_mail = sent["bjorn@example.test"]

    with smtplib.SMTP("127.0.0.1", inbound) as smtp:
        with pytest.raises(smtplib.SMTPRecipientsRefused):  # a made-up return path
            smtp.sendmail(
                "", ["bounce+1-0000000000000000@demo.luukku.test"], b"Subject: x\r\n\r\nx"
            )
        dsn = DSN.format(
            to=anna_path,
            recipient="anna@example.test",
            action="failed",
            status="5.1.1",
            code=550,
            message_id=anna_mail["Message-ID"],
        )
        smtp.sendmail("", [anna_path], dsn.replace("\n", "\r\n").encode())
        arf = ARF.format(to=bjorn_path, message_id=bjorn_mail["Message-ID"])
        smtp.sendmail("feedback@isp.example.test", [bjorn_path], arf.replace("\n", "\r\n").encode())
    _handled(2)

    anna = Delivery.objects.get(person=people.anna)
    assert anna.status == "bounced" and anna.error.startswith("5.1.1")
    assert EmailAddress.objects.get(person=people.anna).bounced_at is not None
    assert not may_contact(people.anna, people.news, "email").allowed  # no working address
    assert Event.objects.get(type="campaign.bounced", person=people.anna).payload["permanent"]

    bjorn = Delivery.objects.get(person=people.bjorn)
    assert bjorn.complained_at is not None
    assert not may_contact(people.bjorn, people.news, "email").allowed
    withdrawn = ConsentRecord.objects.filter(person=people.bjorn, action="withdrawn").get()
    assert withdrawn.source == "complaint"
    assert Event.objects.filter(type="campaign.complained", person=people.bjorn).count() == 1


def test_soft_bounces_block_the_address_at_the_limit(people: People) -> None:  # noqa: F811
    campaign = _campaign(people)
    soft = Bounce(
        original_message_id="",
        recipient="anna@example.test",
        status="4.2.2",
        permanent=False,
        diagnostic="Mailbox full",
    )
    address = EmailAddress.objects.get(person=people.anna)
    for n in range(SOFT_LIMIT):
        run = Run.objects.create(campaign=campaign, status="finished")
        delivery = Delivery.objects.create(
            run=run,
            person=people.anna,
            channel="email",
            address="Anna@Example.test",
            language="nb",
            status="sent",
        )
        address.refresh_from_db()
        assert address.bounced_at is None
        outcome = bounced(
            Delivery.objects.select_related("run__campaign").get(pk=delivery.pk), soft
        )
        assert outcome.endswith(f"soft bounce {n + 1} of {SOFT_LIMIT}") == (n + 1 < SOFT_LIMIT)
        assert Delivery.objects.get(pk=delivery.pk).status == "sent"  # not a bounce
    address.refresh_from_db()
    assert address.bounced_at is not None
