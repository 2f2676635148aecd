"""Mail to a mailbox becomes a case, replies thread into it, and nothing is lost."""

from __future__ import annotations

from pathlib import Path

import pytest

from luukku.channels.email.receive import accept
from luukku.channels.models import InboundReceipt, Mailbox
from luukku.customers.models import EmailAddress, Person
from luukku.desk.mail_ids import our_message_id
from luukku.desk.models import Case, Delivery, HistoryEntry, Message
from luukku.desk.services import change_status, reply
from tests.desk.conftest import Desk

pytestmark = pytest.mark.django_db

CORPUS = Path(__file__).parent.parent / "channels" / "corpus"


def mail(
    *,
    sender: str = "kari.nordmann@example.no",
    subject: str = "Lekker dusj",
    message_id: str = "<m1@example.no>",
    in_reply_to: str = "",
    body: str = "Dusjen lekker.",
) -> bytes:
    headers = [
        f"From: Kari Nordmann <{sender}>",
        "To: housing@demo.luukku.test",
        f"Subject: {subject}",
        f"Message-ID: {message_id}",
        "Content-Type: text/plain; charset=utf-8",
    ]
    if in_reply_to:
        headers += [f"In-Reply-To: {in_reply_to}", f"References: {in_reply_to}"]
    return ("\r\n".join(headers) + "\r\n\r\n" + body + "\r\n").encode()


def test_a_mail_opens_a_case_for_a_new_customer_and_a_second_delivery_changes_nothing(
    mailbox: Mailbox,
) -> None:
    receipt = accept(mailbox, mail())

    assert receipt is not None and receipt.status == "handled"
    case = Case.objects.get()
    assert (case.queue.slug, case.channel, case.subject) == ("housing", "email", "Lekker dusj")
    assert case.person is not None and case.person.full_name == "Kari Nordmann"
    assert case.messages.get().threading_reason == "no thread found: new case"
    assert accept(mailbox, mail()) is None
    assert Case.objects.count() == 1 and Message.objects.count() == 1


def test_a_reply_to_our_answer_lands_in_the_same_case(desk: Desk, mailbox: Mailbox) -> None:
    accept(mailbox, mail())
    case = Case.objects.get()
    answer = reply(case, by=desk.kari, text="En rørlegger kommer.", version=case.version)
    assert answer.external_id == our_message_id(case, answer, "demo.luukku.test")

    accept(
        mailbox,
        mail(
            message_id="<m2@example.no>",
            in_reply_to=answer.external_id,
            subject="Re: Lekker dusj",
            body="Takk!",
        ),
    )

    assert Case.objects.count() == 1
    last = case.messages.order_by("pk").last()
    assert last is not None and last.body_text == "Takk!"
    assert last.threading_reason.startswith("our reply's Message-ID")


def test_a_reply_quoting_the_customers_first_mail_threads_by_reference(mailbox: Mailbox) -> None:
    accept(mailbox, mail())
    accept(mailbox, mail(message_id="<m2@example.no>", in_reply_to="<m1@example.no>"))

    assert Case.objects.count() == 1
    assert Message.objects.filter(threading_reason__startswith="a stored Message-ID").count() == 1


def test_the_subject_token_is_believed_only_from_the_cases_customer(mailbox: Mailbox) -> None:
    accept(mailbox, mail())
    case = Case.objects.get()

    accept(mailbox, mail(message_id="<m2@example.no>", subject=f"Re: [#{case.number}] Lekker"))
    accept(
        mailbox,
        mail(
            sender="stranger@example.com",
            message_id="<m3@example.com>",
            subject=f"[#{case.number}] I want in",
        ),
    )

    assert case.messages.count() == 2
    intruder = Case.objects.exclude(pk=case.pk).get()
    assert list(intruder.linked.all()) == [case]
    assert "someone else" in intruder.messages.get().threading_reason


def test_a_late_answer_to_a_resolved_case_starts_a_linked_one(desk: Desk, mailbox: Mailbox) -> None:
    accept(mailbox, mail())
    case = Case.objects.get()
    case.category = desk.repairs
    case.save()
    change_status(case, to="resolved", by=desk.kari, version=case.version)
    Case.objects.filter(pk=case.pk).update(resolved_at="2020-01-01T00:00:00Z")

    accept(mailbox, mail(message_id="<m2@example.no>", in_reply_to="<m1@example.no>"))

    assert Case.objects.count() == 2
    assert list(Case.objects.exclude(pk=case.pk).get().linked.all()) == [case]


def test_a_bounce_marks_our_reply_and_the_address_and_opens_nothing(
    desk: Desk, mailbox: Mailbox
) -> None:
    accept(mailbox, mail(sender="gone@example.no"))
    case = Case.objects.get()
    answer = reply(case, by=desk.kari, text="Hei", version=case.version)
    answer.external_id = "<case-1001-reply-1@demo.luukku.test>"
    answer.save()

    receipt = accept(mailbox, (CORPUS / "10-bounce-dsn.eml").read_bytes())

    assert receipt is not None and receipt.outcome == f"bounce for case {case.number}"
    answer.refresh_from_db()
    assert answer.delivery == Delivery.BOUNCED and "5.1.1" in answer.delivery_error
    assert EmailAddress.objects.get(address_lower="gone@example.no").bounced_at is not None
    assert Case.objects.count() == 1


def test_a_message_that_cannot_be_handled_waits_in_the_failed_list(mailbox: Mailbox) -> None:
    mailbox.queue.delete()  # nowhere to put it  # type: ignore[union-attr]
    from luukku.desk.models import Queue

    Queue.objects.all().delete()

    receipt = accept(mailbox, mail())

    assert receipt is not None and receipt.status == InboundReceipt.Status.FAILED
    assert "no queue takes mail" in receipt.error
    assert bytes(InboundReceipt.objects.get().raw) == mail()
    assert not Case.objects.exists() and not Person.objects.filter(last_name="Nordmann").exists()


@pytest.mark.parametrize("name", sorted(p.name for p in CORPUS.glob("*.eml")))
def test_every_corpus_message_is_handled_or_failed_visibly_never_lost(
    mailbox: Mailbox, name: str
) -> None:
    receipt = accept(mailbox, (CORPUS / name).read_bytes())

    assert receipt is not None
    assert receipt.status == InboundReceipt.Status.HANDLED, receipt.error


def test_a_new_case_is_acknowledged_once_but_never_to_machines_or_in_a_loop(
    mailbox: Mailbox,
) -> None:
    from luukku.channels.models import OutboundEmail

    accept(mailbox, mail())
    case = Case.objects.get()
    [ack] = OutboundEmail.objects.all()
    assert ack.to == ["kari.nordmann@example.no"]
    assert ack.headers == {"Auto-Submitted": "auto-replied"}
    assert f"[#{case.number}]" in ack.subject and str(case.number) in ack.text
    assert ack.in_reply_to == "<m1@example.no>"

    accept(mailbox, (CORPUS / "08-outlook-out-of-office.eml").read_bytes())
    accept(mailbox, (CORPUS / "09-list-mail.eml").read_bytes())
    accept(mailbox, mail(sender="housing@demo.luukku.test", message_id="<own@x>"))
    assert OutboundEmail.objects.count() == 1

    for n in range(5):  # an auto-responder that keeps writing new mails
        accept(mailbox, mail(message_id=f"<loop-{n}@example.no>", subject=f"Loop {n}"))
    assert OutboundEmail.objects.filter(to=["kari.nordmann@example.no"]).count() == 3
    reasons = [e.details["reason"] for e in HistoryEntry.objects.filter(kind="not_acknowledged")]
    assert any(r.startswith("automatic mail") for r in reasons)
    assert "sent from one of our own mailboxes" in reasons
    assert reasons.count("3 acknowledgements to this sender within the hour") == 3


def test_the_acknowledgement_speaks_the_customers_language(desk: Desk, mailbox: Mailbox) -> None:
    from luukku.channels.models import OutboundEmail

    desk.customer.preferred_language = "fi"
    desk.customer.save()
    EmailAddress.objects.create(
        person=desk.customer, address="aino@example.fi", address_lower="aino@example.fi"
    )

    accept(mailbox, mail(sender="aino@example.fi"))

    assert OutboundEmail.objects.get().subject.startswith("Olemme vastaanottaneet")


def test_an_administrator_sees_failed_mail_and_retries_it_once_fixed(
    desk: Desk, mailbox: Mailbox
) -> None:
    from django.test import Client

    from luukku.core.models import Role
    from tests.factories import PASSWORD, user_with

    desk.housing.mailbox = None
    desk.housing.save()
    desk.housing.is_active = False
    desk.housing.save()
    receipt = accept(mailbox, mail(body="<script>alert(1)</script> Lost key"))
    assert receipt is not None and receipt.status == "failed"
    user_with(Role.ADMINISTRATOR, desk.tree.housing, username="hadmin")
    client = Client()
    assert client.login(username="hadmin", password=PASSWORD)

    page = client.get("/desk/inbound/failed/").content.decode()
    assert "no queue takes mail for housing@demo.luukku.test" in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt; Lost key" in page
    assert logged_in_as(desk.kari).get("/desk/inbound/failed/").status_code == 403

    desk.housing.is_active = True
    desk.housing.save()
    client.post(f"/desk/inbound/{receipt.pk}/retry/")

    receipt.refresh_from_db()
    assert receipt.status == "handled" and receipt.attempts == 2
    assert Case.objects.get().messages.get().body_text.endswith("Lost key")


def logged_in_as(user):  # type: ignore[no-untyped-def]
    from django.test import Client

    from tests.factories import PASSWORD

    client = Client()
    assert client.login(username=user.username, password=PASSWORD)
    return client
