"""Signed webhooks to a receiver on loopback: delivered, retried, scoped by unit."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any

import pytest
from django.test import Client
from django_tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from luukku.core.models import Role, WebhookDelivery, WebhookEndpoint
from luukku.customers.actions.parties import create_party, update_party
from luukku.customers.models import Person
from tests.conftest import Tree, bearer
from tests.factories import user_with
from tests.test_jobs import make_due, run_due_jobs


class Receiver:
    def __init__(self) -> None:
        self.requests: list[tuple[dict[str, str], bytes]] = []
        self.fail_next = 0
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.requests.append((dict(self.headers), body))
                status = 500 if receiver.fail_next else 204
                receiver.fail_next = max(0, receiver.fail_next - 1)
                self.send_response(status)
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                return None

        self.server = HTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/hook"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def events(self) -> list[dict[str, Any]]:
        return [json.loads(body) for _h, body in self.requests]


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    r = Receiver()
    yield r
    r.server.shutdown()


def verify(secret: str, headers: dict[str, str], body: bytes) -> bool:
    parts = dict(p.split("=", 1) for p in headers["X-Luukku-Signature"].split(","))
    expected = hmac.new(
        secret.encode(), f"{parts['t']}.".encode() + body, hashlib.sha256
    ).hexdigest()
    return hmac.compare_digest(expected, parts["v1"])


@pytest.mark.django_db(transaction=True)
def test_person_changes_are_delivered_signed_without_personal_data(
    tree: Tree, receiver: Receiver
) -> None:
    endpoint = WebhookEndpoint.objects.create(url=receiver.url, secret="s3cret", events=[])
    person = create_party(
        Person, values={"first_name": "Kari", "last_name": "Nordmann"}, by=None
    ).party
    update_party(person, values={"last_name": "Nordmann-Berg"}, by=None)

    run_due_jobs()

    events = receiver.events()
    assert [e["event"] for e in events] == ["person.created", "person.updated"]
    assert events[1]["data"] == {"person": person.pk, "fields": ["last_name"]}
    assert "Nordmann" not in json.dumps(events)
    headers, body = receiver.requests[0]
    assert headers["X-Luukku-Event"] == "person.created"
    assert verify(endpoint.secret, headers, body)
    assert not verify("wrong", headers, body)
    assert set(WebhookDelivery.objects.values_list("status", flat=True)) == {"delivered"}


@pytest.mark.django_db(transaction=True)
def test_a_failing_receiver_gets_the_delivery_again(tree: Tree, receiver: Receiver) -> None:
    WebhookEndpoint.objects.create(url=receiver.url, secret="s", events=["person.created"])
    receiver.fail_next = 1
    create_party(Person, values={"last_name": "Retry"}, by=None)

    run_due_jobs()
    delivery = WebhookDelivery.objects.get()
    assert (delivery.status, delivery.last_status_code, delivery.attempts) == ("failed", 500, 1)
    job = DBTaskResult.objects.get(task_path__endswith="deliver_webhook")
    assert job.status == TaskResultStatus.READY  # waiting for its retry
    make_due(job.pk)
    run_due_jobs()

    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == ("delivered", 2)
    assert len(receiver.requests) == 2


@pytest.mark.django_db(transaction=True)
def test_restricted_records_reach_only_endpoints_of_their_unit(
    tree: Tree, receiver: Receiver
) -> None:
    general = WebhookEndpoint.objects.create(url=receiver.url, secret="a")
    health = WebhookEndpoint.objects.create(url=receiver.url, secret="b", org_unit=tree.health)
    create_party(
        Person,
        values={"last_name": "Patient"},
        org_unit=tree.health,
        sensitivity="restricted",
        by=None,
    )

    assert list(WebhookDelivery.objects.values_list("endpoint", flat=True)) == [health.pk]
    assert general.deliveries.count() == 0


@pytest.mark.django_db
def test_webhooks_are_managed_by_organization_admins(tree: Tree) -> None:
    admin = user_with(Role.ADMINISTRATOR, tree.root)
    unit_admin = user_with(Role.ADMINISTRATOR, tree.housing)
    body = json.dumps({"url": "https://crm.example.test/hooks", "events": ["person.created"]})

    refused = bearer(unit_admin).post(
        "/api/v1/webhooks", data=body, content_type="application/json"
    )
    created = bearer(admin).post("/api/v1/webhooks", data=body, content_type="application/json")
    unknown = bearer(admin).post(
        "/api/v1/webhooks",
        data=json.dumps({"url": "https://x.test", "events": ["person.deleted"]}),
        content_type="application/json",
    )
    page = Client()
    page.force_login(admin)

    assert refused.status_code == 403
    assert created.status_code == 201 and len(created.json()["secret"]) > 30
    assert "secret" not in bearer(admin).get("/api/v1/webhooks").json()["items"][0]
    assert unknown.status_code == 422
    assert "crm.example.test" in page.get("/webhooks/").content.decode()


@pytest.mark.django_db(transaction=True)
def test_case_events_carry_the_number_the_change_and_the_version(
    tree: Tree, receiver: Receiver
) -> None:
    """As docs/webhooks.md describes them."""
    from luukku.desk.models import Queue
    from luukku.desk.services import NewMessage, add_note, open_case

    WebhookEndpoint.objects.create(
        url=receiver.url, secret="s", events=["case.created", "case.updated"]
    )
    agent = user_with(Role.AGENT, tree.housing)
    queue = Queue.objects.create(name="Housing", slug="housing", org_unit=tree.housing)
    case = open_case(queue=queue, subject="Vannlekkasje", by=None, first=NewMessage(text="Hei"))
    add_note(case, by=agent, text="Ring rørlegger.", version=case.version)

    run_due_jobs()

    assert [(e["event"], e["data"]) for e in receiver.events()] == [
        ("case.created", {"case": case.number, "change": "case_created", "version": 1}),
        ("case.updated", {"case": case.number, "change": "note_added", "version": 2}),
    ]
    assert "Vannlekkasje" not in json.dumps(receiver.events())
