"""A desk administrator sets up a mailbox and binds it to a queue."""

from __future__ import annotations

import pytest
from django.test import Client

from luukku.channels.email.receive import accept
from luukku.channels.models import Mailbox
from luukku.core.models import Role
from luukku.desk.models import Case, Queue
from tests.desk.conftest import Desk
from tests.factories import PASSWORD, user_with

pytestmark = pytest.mark.django_db


def test_a_new_mailbox_feeds_its_queue(desk: Desk) -> None:
    user_with(Role.ADMINISTRATOR, desk.tree.housing, username="hadmin")
    admin = Client()
    assert admin.login(username="hadmin", password=PASSWORD)
    form = {
        "address": "repairs@nordby.example",
        "name": "Nordby Repairs",
        "org_unit": desk.tree.housing.pk,
        "queue": desk.housing.pk,
        "acknowledge": "on",
        "is_active": "on",
        "imap_port": 993,
        "imap_security": "ssl",
        "imap_folder": "INBOX",
    }

    outside = admin.post("/desk/mailboxes/new/", {**form, "queue": desk.health.pk})
    assert outside.status_code == 200 and not Mailbox.objects.exists()
    assert admin.post("/desk/mailboxes/new/", form).status_code == 302

    box = Mailbox.objects.get()
    assert Queue.objects.get(mailbox=box) == desk.housing
    assert "repairs@nordby.example" in admin.get("/desk/mailboxes/").content.decode()
    accept(
        box,
        b"From: a@b.no\r\nTo: repairs@nordby.example\r\nSubject: Door\r\n"
        b"Message-ID: <d@b.no>\r\n\r\nThe door is stuck.\r\n",
    )
    assert Case.objects.get().queue == desk.housing
    kari = Client()
    assert kari.login(username="kari", password=PASSWORD)
    assert kari.get("/desk/mailboxes/").status_code == 403
