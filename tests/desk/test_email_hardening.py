"""What real mail and real mail servers do to a service desk: forged thread ids, a CC'd
colleague, fake bounces, out-of-office answers, the same mail to two mailboxes, odd
senders, long subjects, NUL bytes, broken connections."""

from __future__ import annotations

import json
import smtplib
from typing import Any

import pytest

from luukku.channels.email.receive import accept, store
from luukku.channels.email.send import MAX_ATTEMPTS, UNCERTAIN
from luukku.channels.models import InboundReceipt, Mailbox, OutboundEmail
from luukku.customers.models import EmailAddress
from luukku.desk.models import Case, Delivery, Message
from luukku.desk.services import change_status, reply
from tests.conftest import bearer
from tests.desk.conftest import Desk
from tests.desk.test_inbound_email import mail
from tests.test_jobs import run_due_jobs
from tests.test_staff_email_smtp import use_smtp

pytestmark = pytest.mark.django_db


def test_a_made_up_thread_id_in_our_format_opens_a_new_case(desk: Desk, mailbox: Mailbox) -> None:
    accept(mailbox, mail())
    case = Case.objects.get()

    accept(
        mailbox,
        mail(
            sender="attacker@evil.example",
            message_id="<x@evil.example>",
            in_reply_to=f"<luukku.{case.number}.999@whatever>",
        ),
    )

    assert case.messages.count() == 1
    assert Case.objects.count() == 2


def test_a_colleague_in_copy_joins_the_thread_but_replies_go_to_the_customer(
    desk: Desk, mailbox: Mailbox
) -> None:
    accept(mailbox, mail())
    case = Case.objects.get()
    accept(
        mailbox,
        mail(
            sender="colleague@example.no",
            message_id="<cc@example.no>",
            in_reply_to="<m1@example.no>",
        ),
    )
    assert case.messages.count() == 2

    answer = reply(case, by=desk.kari, text="Vi kommer.", version=Case.objects.get().version)

    assert answer.recipients == ["kari.nordmann@example.no"]


def test_a_bounce_about_mail_we_never_sent_marks_nothing_and_new_mail_clears_a_mark(
    desk: Desk, mailbox: Mailbox
) -> None:
    from pathlib import Path

    accept(mailbox, mail(sender="gone@example.no"))
    dsn = (Path(__file__).parent.parent / "channels" / "corpus" / "10-bounce-dsn.eml").read_bytes()

    receipt = accept(mailbox, dsn)

    assert receipt is not None and "no message of ours" in receipt.outcome
    address = EmailAddress.objects.get(address_lower="gone@example.no")
    assert address.bounced_at is None
    EmailAddress.objects.filter(pk=address.pk).update(bounced_at="2026-11-01T00:00:00Z")
    accept(mailbox, mail(sender="gone@example.no", message_id="<again@example.no>"))
    address.refresh_from_db()
    assert address.bounced_at is None


def test_an_out_of_office_answer_is_kept_but_does_not_reopen(desk: Desk, mailbox: Mailbox) -> None:
    accept(mailbox, mail())
    case = Case.objects.get()
    answer = reply(case, by=desk.kari, text="Fixed.", version=case.version)
    case = Case.objects.get()
    case.category = desk.repairs
    case.save()
    change_status(case, to="resolved", by=desk.kari, version=case.version)
    oof = mail(message_id="<oof@example.no>", in_reply_to=answer.external_id, body="On leave")
    oof = oof.replace(b"Content-Type", b"Auto-Submitted: auto-replied\r\nContent-Type")

    accept(mailbox, oof)

    case.refresh_from_db()
    assert case.status == "resolved" and case.messages.count() == 3


def test_the_same_mail_to_two_mailboxes_is_one_message(desk: Desk, mailbox: Mailbox) -> None:
    other = Mailbox.objects.create(
        address="info@demo.luukku.test", name="Info", org_unit=desk.tree.housing
    )
    accept(mailbox, mail())
    accept(other, mail())

    assert Case.objects.count() == 1 and Message.objects.count() == 1


def test_odd_senders_long_subjects_and_nul_bytes_still_make_cases(
    desk: Desk, mailbox: Mailbox
) -> None:
    accept(mailbox, mail(sender="bob@mailhost", message_id="<odd@x>", subject="x" * 350))
    accept(mailbox, mail(message_id="<nul@x>", body="before\x00after"))

    odd, nul = Case.objects.order_by("pk")
    assert odd.person is None and len(odd.subject) == 300
    assert nul.messages.get().body_text == "beforeafter"
    assert InboundReceipt.objects.filter(status="failed").count() == 0
    answer = reply(nul, by=desk.kari, text="Hei", version=nul.version)
    assert len(answer.subject) <= 300


def test_our_reply_carries_our_own_token_even_when_the_subject_names_another(
    desk: Desk, mailbox: Mailbox
) -> None:
    accept(mailbox, mail(subject="About [#5] in your letter"))
    case = Case.objects.get()

    answer = reply(case, by=desk.kari, text="Hei", version=case.version)

    assert answer.subject == f"Re: About [#5] in your letter [#{case.number}]"


def test_a_message_stored_but_not_handled_is_handled_when_delivered_again(
    mailbox: Mailbox,
) -> None:
    stuck, _new = store(mailbox, mail())  # the process stopped right after storing
    assert stuck is not None and stuck.status == "received"

    again = accept(mailbox, mail())

    assert again is not None and again.pk == stuck.pk and again.status == "handled"
    assert Case.objects.count() == 1


def test_a_refused_step_undoes_the_whole_change(desk: Desk, mailbox: Mailbox) -> None:
    accept(mailbox, mail())
    case = Case.objects.get()

    response = bearer(desk.kari).patch(
        f"/api/v1/cases/{case.number}",
        data=json.dumps({"version": case.version, "priority": "urgent", "assignee": "nobody"}),
        content_type="application/json",
    )

    assert response.status_code == 422
    case.refresh_from_db()
    assert case.priority == "normal"


def test_reopening_clears_when_the_case_was_done(desk: Desk, mailbox: Mailbox) -> None:
    accept(mailbox, mail())
    case = Case.objects.get()
    case.category = desk.repairs
    case.save()
    case = change_status(case, to="resolved", by=desk.kari, version=case.version)
    assert case.resolved_at is not None

    accept(mailbox, mail(message_id="<m2@example.no>", in_reply_to="<m1@example.no>"))

    case.refresh_from_db()
    assert (case.status, case.resolved_at) == ("open", None)


@pytest.mark.django_db(transaction=True)
def test_a_broken_quit_after_delivery_does_not_send_twice(
    desk: Desk,
    mailbox: Mailbox,
    settings: Any,
    smtp_server: Any,
    monkeypatch: Any,
) -> None:
    sink, port = smtp_server
    use_smtp(settings, f"smtp://127.0.0.1:{port}")
    mailbox.acknowledge = False
    mailbox.save()
    accept(mailbox, mail())
    case = Case.objects.get()

    def broken_quit(self: Any) -> None:
        raise TimeoutError("QUIT timed out")

    monkeypatch.setattr(smtplib.SMTP, "quit", broken_quit)
    answer = reply(case, by=desk.kari, text="Hei", version=case.version)
    run_due_jobs()
    run_due_jobs()

    assert len(sink.messages) == 1
    answer.refresh_from_db()
    assert answer.delivery == Delivery.SENT


@pytest.mark.django_db(transaction=True)
def test_a_connection_lost_during_the_handover_is_not_retried_blindly(
    desk: Desk,
    mailbox: Mailbox,
    settings: Any,
    smtp_server: Any,
    monkeypatch: Any,
) -> None:
    _sink, port = smtp_server
    use_smtp(settings, f"smtp://127.0.0.1:{port}")
    mailbox.acknowledge = False
    mailbox.save()
    accept(mailbox, mail())
    case = Case.objects.get()

    def cut(*args: Any, **kwargs: Any) -> None:
        raise smtplib.SMTPServerDisconnected("Connection unexpectedly closed")

    monkeypatch.setattr(smtplib.SMTP, "sendmail", cut)
    answer = reply(case, by=desk.kari, text="Hei", version=case.version)
    run_due_jobs()

    answer.refresh_from_db()
    assert answer.delivery == Delivery.FAILED and answer.delivery_error.startswith(UNCERTAIN)
    assert OutboundEmail.objects.get().attempts == 1


@pytest.mark.django_db(transaction=True)
def test_the_last_failed_attempt_fails_the_reply_visibly(
    desk: Desk, mailbox: Mailbox, settings: Any
) -> None:
    use_smtp(settings, "smtp://127.0.0.1:9")
    mailbox.acknowledge = False
    mailbox.save()
    accept(mailbox, mail())
    case = Case.objects.get()
    answer = reply(case, by=desk.kari, text="Hei", version=case.version)
    OutboundEmail.objects.update(attempts=MAX_ATTEMPTS - 1)

    run_due_jobs()

    answer.refresh_from_db()
    assert answer.delivery == Delivery.FAILED and "Gave up after" in answer.delivery_error


def test_a_stored_message_whose_sender_never_retries_is_handled_by_the_sweeper(
    mailbox: Mailbox,
) -> None:
    from luukku.channels.email.receive import handle_stuck_receipts

    stuck, _new = store(mailbox, mail())
    assert stuck is not None
    InboundReceipt.objects.filter(pk=stuck.pk).update(received_at="2026-01-01T00:00:00Z")

    assert handle_stuck_receipts.call() == 1

    stuck.refresh_from_db()
    assert stuck.status == "handled" and Case.objects.count() == 1


def test_a_reply_whose_job_was_never_started_is_started_by_the_sweeper(
    desk: Desk, mailbox: Mailbox
) -> None:
    from django_tasks_db.models import DBTaskResult

    from luukku.channels.email.send import send_forgotten_email

    mailbox.acknowledge = False
    mailbox.save()
    accept(mailbox, mail())
    case = Case.objects.get()
    reply(case, by=desk.kari, text="Hei", version=case.version)
    outbound = OutboundEmail.objects.get()
    assert not DBTaskResult.objects.exists()  # its job is enqueued only on commit
    OutboundEmail.objects.filter(pk=outbound.pk).update(created_at="2026-01-01T00:00:00Z")

    assert send_forgotten_email.call() == 1

    job = DBTaskResult.objects.get()
    assert job.task_path.endswith("send_email") and job.args_kwargs["args"] == [outbound.pk]
