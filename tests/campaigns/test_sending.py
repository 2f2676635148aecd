"""A campaign sent to a real SMTP server (aiosmtpd on loopback): each recipient one
personalized message with the headers a mailbox provider expects, everyone else
skipped with the reason; refusals kept with the server's words; a sender that dies
mid-batch loses nothing and repeats nothing."""

from __future__ import annotations

import os
from collections.abc import Iterator
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from django.core.exceptions import ValidationError

from luukku.campaigns import sending
from luukku.campaigns.models import Campaign, Content, Delivery, Run
from luukku.campaigns.services import counts, materialize_run, requeue_failed, save_content
from luukku.campaigns.services import schedule as schedule_campaign
from luukku.campaigns.tracking import delivery_of_bounce
from luukku.channels import journal
from luukku.customers.models import Event
from luukku.segments import membership
from luukku.segments.models import Segment
from tests.segments.conftest import People, people  # noqa: F401 (a fixture)
from tests.test_jobs import run_due_jobs
from tests.test_staff_email_smtp import free_port

pytestmark = pytest.mark.django_db(transaction=True)

BODY = """<mjml><mj-body><mj-section><mj-column>
<mj-text>Hei {{ person.first_name }}!</mj-text>
<mj-button href="https://example.test/spring?x=1&amp;y=2">Read more</mj-button>
</mj-column></mj-section></mj-body></mjml>"""


class Sink:
    """An SMTP server that keeps what it gets, and answers as it is told per recipient."""

    def __init__(self) -> None:
        self.messages: list[tuple[str, list[str], EmailMessage]] = []
        self.answers: dict[str, str] = {}

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, options: list[str]
    ) -> str:
        answer = self.answers.get(address)
        if answer:
            return answer
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        parsed = message_from_bytes(envelope.content, policy=policy.default)
        self.messages.append(
            (envelope.mail_from, list(envelope.rcpt_tos), parsed)  # type: ignore[arg-type]
        )
        return "250 2.0.0 queued"


@pytest.fixture
def sink(settings: Any, tmp_path: Path) -> Iterator[Sink]:
    box = Sink()
    port = free_port()
    controller = Controller(box, hostname="127.0.0.1", port=port)
    controller.start()
    settings.LUUKKU_BULK_SMTP_URLS = [f"smtp://127.0.0.1:{port}"]
    settings.LUUKKU_SEND_JOURNAL_DIR = tmp_path / "journal"
    settings.LUUKKU_BASE_URL = "https://luukku.example.test"
    yield box
    controller.stop()


def _campaign(people: People) -> Campaign:  # noqa: F811
    oslo = Segment.objects.create(
        name="Oslo", slug="oslo", org_unit=people.tree.root, kind="static"
    )
    membership.add_static(oslo, [people.anna.pk, people.bjorn.pk, people.eva.pk, people.dag.pk])
    people.dag.emailaddresss.all().delete()
    campaign = Campaign.objects.create(
        name="Spring news", org_unit=people.tree.root, purpose=people.news
    )
    campaign.segments.add(oslo)
    save_content(
        Content(
            campaign=campaign,
            channel="email",
            language="nb",
            subject="Vår, {{ person.first_name }}",
            body=BODY,
        )
    )
    return campaign


def test_each_recipient_gets_one_personal_message_and_the_rest_are_skipped_with_the_reason(
    sink: Sink,
    people: People,  # noqa: F811
) -> None:
    campaign = _campaign(people)
    schedule_campaign(campaign, None, by=people.marketer)
    run_due_jobs()

    run = Run.objects.get(campaign=campaign)
    assert run.status == Run.Status.FINISHED
    campaign.refresh_from_db()
    assert campaign.status == Campaign.Status.FINISHED
    got = {rcpt[0]: (sender, message) for sender, rcpt, message in sink.messages}
    assert sorted(got) == ["anna@example.test", "bjorn@example.test"]
    sender, message = got["anna@example.test"]
    delivery = Delivery.objects.get(run=run, person=people.anna)
    assert delivery_of_bounce(sender.partition("@")[0]) == delivery.pk  # VERP
    assert message["Subject"] == "Vår, Anna"
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert (
        message["List-Unsubscribe"]
        == f"<https://luukku.example.test/t/u/{delivery.pk}/"
        + (message["List-Unsubscribe"].split(f"/t/u/{delivery.pk}/")[1])
    )
    assert message["Feedback-ID"].startswith(f"{campaign.pk}:{run.pk}:")
    assert message["Message-ID"].startswith(f"<{run.pk}.{delivery.pk}.")
    html = message.get_body(("html",)).get_content()  # type: ignore[union-attr]
    text = message.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    assert "Hei Anna!" in html and "Hei Anna!" in text
    assert "https://example.test/spring" not in html  # the link goes through tracking
    assert f"/t/c/{delivery.pk}/0/" in html and f"/t/c/{delivery.pk}/0/" in text
    assert f"/t/o/{delivery.pk}/" in html
    # The standard footer, in the content's language, as the body has no link of its own.
    assert "Meld av" in html and f"/t/u/{delivery.pk}/" in html
    assert run.links.get().url == "https://example.test/spring?x=1&y=2"

    skipped = dict(
        Delivery.objects.filter(run=run, status="skipped").values_list(
            "person__first_name", "reason"
        )
    )
    assert skipped == {"Eva": "no_consent", "Dag": "no_address"}
    assert counts(run)["sent"] == 2
    sent_events = Event.objects.filter(type="campaign.sent").values_list("person_id", flat=True)
    assert sorted(sent_events) == sorted([people.anna.pk, people.bjorn.pk])


def test_a_refusal_fails_with_the_servers_answer_and_can_be_queued_again(
    sink: Sink,
    people: People,  # noqa: F811
) -> None:
    campaign = _campaign(people)
    sink.answers["anna@example.test"] = "550 5.1.1 No such user here"
    sink.answers["bjorn@example.test"] = "451 4.3.0 Try again later"
    schedule_campaign(campaign, None, by=people.marketer)
    run_due_jobs()

    run = Run.objects.get(campaign=campaign)
    anna = Delivery.objects.get(run=run, person=people.anna)
    bjorn = Delivery.objects.get(run=run, person=people.bjorn)
    assert (anna.status, anna.error) == ("failed", "550 5.1.1 No such user here")
    assert (bjorn.status, bjorn.error) == ("queued", "451 4.3.0 Try again later")
    assert bjorn.retry_at is not None
    assert run.status == Run.Status.SENDING  # not finished while a row waits for a retry

    del sink.answers["anna@example.test"], sink.answers["bjorn@example.test"]
    Delivery.objects.filter(pk=bjorn.pk).update(retry_at=None)
    assert requeue_failed(run, by=people.marketer) == 1
    run_due_jobs()
    assert sorted(rcpt[0] for _s, rcpt, _m in sink.messages) == [
        "anna@example.test",
        "bjorn@example.test",
    ]
    run.refresh_from_db()
    assert run.status == Run.Status.FINISHED


def test_a_campaign_without_purpose_or_audience_cannot_be_sent(
    sink: Sink,
    people: People,  # noqa: F811
) -> None:
    campaign = Campaign.objects.create(name="Empty", org_unit=people.tree.root)
    with pytest.raises(ValidationError) as refused:
        schedule_campaign(campaign, None, by=people.marketer)
    assert "Choose the purpose the campaign is sent for." in refused.value.messages
    assert not Run.objects.exists()


def test_a_sender_killed_mid_batch_loses_nothing_and_sends_nothing_twice(
    sink: Sink,
    people: People,  # noqa: F811
) -> None:
    campaign = _campaign(people)
    schedule_campaign(campaign, None, by=people.marketer)
    run = materialize_run(Run.objects.get(campaign=campaign))
    sender = sending.Sender(run)
    number, rows = sending.claim(run.pk)
    assert len(rows) == 2
    # The first message leaves; the process dies before anything is recorded.
    held = journal.Journal(sending.journal_dir(), number)
    variables = sending.variables_for([rows[0].person_id])
    outcome = sender.send_one(rows[0], variables[rows[0].person_id], held.handed)
    assert outcome.kind == "sent"
    os.close(held.fd)  # what the kernel does for a killed process
    assert Delivery.objects.filter(run=run, status="sending").count() == 2

    run_due_jobs()  # a new sender: recovers the journal, then sends the rest

    assert sorted(rcpt[0] for _s, rcpt, _m in sink.messages) == [
        "anna@example.test",
        "bjorn@example.test",
    ]
    assert counts(run)["sent"] == 2
    assert Event.objects.filter(type="campaign.sent").count() == 2
    assert not list(journal.orphans(sending.journal_dir()))
