"""A bounce that reaches a mailbox Luukku fetches by IMAP (Dovecot on loopback), not
the SMTP receiver, is matched to its delivery by the return path all the same, and
makes no case."""

from __future__ import annotations

import imaplib
from collections.abc import Iterator

import pytest

from luukku.campaigns.models import Delivery
from luukku.campaigns.services import schedule as schedule_campaign
from luukku.channels.email.imap import fetch
from luukku.channels.models import InboundReceipt, Mailbox
from luukku.customers.models import EmailAddress
from luukku.desk.models import Case
from tests.campaigns.test_bounces import DSN
from tests.campaigns.test_sending import Sink, _campaign, sink  # noqa: F401 (a fixture)
from tests.dovecot import Dovecot, run_dovecot
from tests.segments.conftest import People, people  # noqa: F401 (a fixture)
from tests.test_jobs import run_due_jobs

pytestmark = pytest.mark.django_db(transaction=True)

ADDRESS = "bounces@demo.luukku.test"


@pytest.fixture(scope="module")
def server() -> Iterator[Dovecot]:
    yield from run_dovecot({ADDRESS: "s3cret"})


def test_a_bounce_fetched_from_a_mailbox_blocks_the_address(
    sink: Sink,  # noqa: F811
    people: People,  # noqa: F811
    server: Dovecot,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    schedule_campaign(_campaign(people), None, by=people.marketer)
    run_due_jobs()
    return_path, mail = next((f, m) for f, r, m in sink.messages if r == ["anna@example.test"])
    monkeypatch.setenv("LUUKKU_IMAP_BOUNCES", "s3cret")
    box = Mailbox.objects.create(
        address=ADDRESS,
        name="Bounces",
        org_unit=people.tree.root,
        imap_host="127.0.0.1",
        imap_port=server.port,
        imap_security="none",
        imap_password_env="LUUKKU_IMAP_BOUNCES",
        acknowledge=False,
    )
    dsn = DSN.format(
        to=return_path,
        recipient="anna@example.test",
        action="failed",
        status="5.1.1",
        code=550,
        message_id=mail["Message-ID"],
    )
    client = imaplib.IMAP4("127.0.0.1", server.port)
    client.login(ADDRESS, "s3cret")
    client.append("INBOX", None, None, dsn.replace("\n", "\r\n").encode())
    client.logout()

    assert fetch(box) == 1
    run_due_jobs()
    delivery = Delivery.objects.get(person=people.anna)
    assert delivery.status == "bounced"
    assert EmailAddress.objects.get(person=people.anna).bounced_at is not None
    assert InboundReceipt.objects.get(mailbox=box).outcome.startswith(f"delivery {delivery.pk}")
    assert not Case.objects.filter(subject__icontains="Undelivered").exists()
