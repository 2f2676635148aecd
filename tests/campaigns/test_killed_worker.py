"""A sending worker killed with SIGKILL in the middle of a campaign, and started again:
every recipient has exactly one message at the SMTP server, and the campaign's counts
match what the server got."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from django.db import connection

from luukku.campaigns.models import Campaign, Content, Delivery, Run
from luukku.campaigns.services import save_content, start_run
from luukku.campaigns.tasks import send_run
from luukku.consent.models import LawfulBasis, Purpose
from luukku.consent.purposes import save_purpose
from luukku.customers.models import EmailAddress, Person
from luukku.segments.models import Membership, Segment
from tests.campaigns.test_sending import BODY, Sink, sink  # noqa: F401 (a fixture)
from tests.conftest import Tree

pytestmark = pytest.mark.django_db(transaction=True)
RECIPIENTS = 3000


def _audience(tree: Tree) -> Campaign:
    purpose = save_purpose(
        Purpose(
            name="Offers",
            slug="offers",
            org_unit=tree.root,
            lawful_basis=LawfulBasis.LEGITIMATE_INTEREST,
            channels=["email"],
        ),
        by=None,
    )
    persons = Person.objects.bulk_create(
        [
            Person(first_name=f"P{n}", last_name="Test", full_name=f"P{n} Test")
            for n in range(RECIPIENTS)
        ]
    )
    EmailAddress.objects.bulk_create(
        [
            EmailAddress(
                person=p,
                address=f"p{p.pk}@example.test",
                address_lower=f"p{p.pk}@example.test",
                is_primary=True,
            )
            for p in persons
        ]
    )
    everyone = Segment.objects.create(name="All", slug="all", org_unit=tree.root, kind="static")
    Membership.objects.bulk_create(
        [Membership(segment=everyone, person=p, since=p.created_at) for p in persons]
    )
    campaign = Campaign.objects.create(name="Big", org_unit=tree.root, purpose=purpose)
    campaign.segments.add(everyone)
    save_content(
        Content(
            campaign=campaign,
            channel="email",
            language="nb",
            subject="Hei {{ person.first_name }}",
            body=BODY,
        )
    )
    return campaign


def _database_url() -> str:
    db = connection.settings_dict
    host, port = db["HOST"] or "127.0.0.1", db["PORT"] or 5432
    password = f":{db['PASSWORD']}" if db["PASSWORD"] else ""
    return f"postgres://{db['USER']}{password}@{host}:{port}/{db['NAME']}"


def test_a_worker_killed_mid_send_loses_nothing_and_sends_nothing_twice(
    sink: Sink,  # noqa: F811
    tree: Tree,
    settings: Any,
    tmp_path: Path,
) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("a second process needs a database that takes concurrent connections")
    campaign = _audience(tree)
    run = start_run(campaign, by=None)
    env = {
        **os.environ,
        "DATABASE_URL": _database_url(),
        "LUUKKU_BULK_SMTP_URLS": settings.LUUKKU_BULK_SMTP_URLS[0],
        "LUUKKU_SEND_JOURNAL_DIR": str(settings.LUUKKU_SEND_JOURNAL_DIR),
        "LUUKKU_SECRET_KEY": settings.SECRET_KEY,
    }
    worker = subprocess.Popen(
        [sys.executable, "-m", "luukku", "worker", "--queues", "send"], env=env
    )
    deadline = time.monotonic() + 60
    while len(sink.messages) < RECIPIENTS // 3 and time.monotonic() < deadline:
        time.sleep(0.02)
    worker.send_signal(signal.SIGKILL)
    worker.wait()
    killed_at = len(sink.messages)
    assert 0 < killed_at < RECIPIENTS, "the kill should land mid-send"

    send_run.call(run.pk)  # a new sender: finds the journal, then sends the rest

    ids = Counter(message["Message-ID"] for _f, _r, message in sink.messages)
    recipients = Counter(rcpt[0] for _f, rcpt, _m in sink.messages)
    assert len(ids) == RECIPIENTS and max(ids.values()) == 1
    assert len(recipients) == RECIPIENTS and max(recipients.values()) == 1
    assert Delivery.objects.filter(run=run, status="sent").count() == RECIPIENTS
    assert Run.objects.get(pk=run.pk).status == "finished"
