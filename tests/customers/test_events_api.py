from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client

from luukku.core.models import Role
from luukku.customers.actions.parties import create_party
from luukku.customers.models import Event, Person
from tests.conftest import bearer
from tests.customers.conftest import Setup
from tests.factories import user_with

pytestmark = pytest.mark.django_db


def ndjson(lines: list[Any]) -> bytes:
    return "\n".join(x if isinstance(x, str) else json.dumps(x) for x in lines).encode()


def batch(client: Client, lines: list[Any], **params: str):  # type: ignore[no-untyped-def]
    query = "&".join(f"{k}={v}" for k, v in params.items())
    return client.post(
        f"/api/v1/events/batch?{query}", data=ndjson(lines), content_type="application/x-ndjson"
    )


@pytest.fixture
def person(setup: Setup) -> Person:
    from luukku.customers.actions.contacts import ContactChanges

    outcome = create_party(
        Person,
        values={"first_name": "Kari", "last_name": "Nordmann"},
        contacts=ContactChanges(emails=[{"address": "kari@example.test"}]),
        identity=(setup.sis, "S-1", {}),
        by=None,
    )
    assert isinstance(outcome.party, Person)
    return outcome.party


def event(**over: Any) -> dict[str, Any]:
    return {
        "person": {"source": "sis", "external_id": "S-1"},
        "type": "housing.contract_signed",
        "occurred_at": "2026-09-01T10:00:00+02:00",
        "source": "housing",
        "org_unit": "housing",
        "payload": {"building": "Kringsjå 4", "flat": "H0302"},
        **over,
    }


def test_one_event_is_stored_once_per_idempotency_key(setup: Setup, person: Person) -> None:
    client = bearer(setup.admin)
    body = json.dumps(event(idempotency_key="contract-991"))

    first = client.post("/api/v1/events", data=body, content_type="application/json")
    again = client.post("/api/v1/events", data=body, content_type="application/json")

    assert first.status_code == 201
    assert again.status_code == 200
    assert again.json()["status"] == "duplicate"
    assert Event.objects.filter(person=person, type="housing.contract_signed").count() == 1


def test_a_batch_reports_every_line_and_keeps_the_good_ones(setup: Setup, person: Person) -> None:
    lines = [
        event(idempotency_key="k1"),
        "{not json",
        event(type="Not A Type"),
        event(
            person={"email": "KARI@example.test"},
            type="fitness.membership_expired",
            idempotency_key="k2",
        ),
        event(person={"id": 999999}),
        event(occurred_at="2026-09-01T10:00:00"),
        event(idempotency_key="k1"),
        event(org_unit="atlantis"),
        event(colour="red"),
        "",
        event(person={"source": "sis", "external_id": "S-1"}, type="sis.course_completed"),
    ]

    response = batch(bearer(setup.admin), lines)

    assert response.status_code == 200
    body = response.json()
    summary = [
        (r["line"], r["status"], (r.get("error") or {}).get("field")) for r in body["results"]
    ]
    assert summary == [
        (1, "created", None),
        (2, "error", ""),
        (3, "error", "type"),
        (4, "created", None),
        (5, "error", "person"),
        (6, "error", "occurred_at"),
        (7, "duplicate", None),
        (8, "error", "org_unit"),
        (9, "error", "colour"),
        (11, "created", None),
    ]
    assert (body["created"], body["duplicates"], body["errors"]) == (3, 1, 6)
    assert Event.objects.filter(person=person).exclude(type__startswith="luukku.").count() == 3


def test_unknown_persons_are_created_when_asked(setup: Setup) -> None:
    lines = [
        event(
            person={
                "source": "sis",
                "external_id": "S-NEW",
                "first_name": "Aino",
                "last_name": "Koski",
            }
        ),
        event(person={"source": "sis", "external_id": "S-NEW"}, type="sis.course_completed"),
        event(person={"source": "sis", "external_id": "S-ANON"}),
    ]

    rejected = batch(bearer(setup.admin), lines[:1]).json()
    created = batch(bearer(setup.admin), lines, unknown_person="create").json()

    assert rejected["results"][0]["error"]["message"] == "No such person."
    assert [r["status"] for r in created["results"]] == ["created", "created", "error"]
    aino = Person.objects.get(identities__external_id="S-NEW")
    assert aino.full_name == "Aino Koski"
    assert aino.events.exclude(type__startswith="luukku.").count() == 2


def test_only_integrators_of_the_unit_may_send_events(setup: Setup, person: Person) -> None:
    housing_admin = user_with(Role.ADMINISTRATOR, setup.tree.housing)

    agent = batch(bearer(setup.housing_agent), [event()])
    wrong_unit = batch(bearer(housing_admin), [event(org_unit="health")])
    right_unit = batch(bearer(housing_admin), [event()])

    assert agent.status_code == 403
    assert wrong_unit.json()["results"][0]["error"]["field"] == "org_unit"
    assert right_unit.json()["created"] == 1


def test_a_batch_must_be_ndjson_and_at_most_ten_thousand_lines(
    setup: Setup, person: Person
) -> None:
    client = bearer(setup.admin)

    as_json = client.post(
        "/api/v1/events/batch", data=json.dumps([event()]), content_type="application/json"
    )
    too_long = client.post(
        "/api/v1/events/batch",
        data=("{}\n" * 10_001).encode(),
        content_type="application/x-ndjson",
    )

    assert as_json.status_code == 415
    assert too_long.status_code == 413
    assert Event.objects.exclude(type__startswith="luukku.").count() == 0


def test_the_timeline_reads_newest_first_with_filters_and_cursor(
    setup: Setup, person: Person
) -> None:
    lines = [
        event(type="housing.rent_paid", occurred_at=f"2026-0{m}-01T12:00:00+00:00")
        for m in range(1, 8)
    ] + [event(type="fitness.visit", occurred_at="2026-03-15T12:00:00+00:00", org_unit=None)]
    client = bearer(setup.admin)
    batch(client, lines)

    housing = client.get(
        f"/api/v1/persons/{person.pk}/events", {"type": "housing.", "limit": 4}
    ).json()
    rest = client.get(
        f"/api/v1/persons/{person.pk}/events",
        {"type": "housing.", "limit": 4, "cursor": housing["next_cursor"]},
    ).json()
    march = client.get(
        f"/api/v1/persons/{person.pk}/events",
        {"since": "2026-03-01T00:00:00Z", "until": "2026-04-01T00:00:00Z", "source": "housing"},
    ).json()

    months = [e["occurred_at"][:7] for e in housing["items"] + rest["items"]]
    assert months == ["2026-07", "2026-06", "2026-05", "2026-04", "2026-03", "2026-02", "2026-01"]
    assert rest["next_cursor"] is None
    assert [e["type"] for e in march["items"]] == ["fitness.visit", "housing.rent_paid"]


@pytest.mark.django_db(transaction=True)
def test_two_batches_with_the_same_keys_at_once_store_each_event_once(setup: Setup) -> None:
    import threading

    from django.db import connection, connections
    from django.utils import timezone

    from luukku.customers.actions.timeline import NewEvent, append_events

    if connection.vendor != "postgresql":
        pytest.skip("concurrent writers are a PostgreSQL matter")
    person = create_party(Person, values={"last_name": "Twice"}, by=None).party
    batch = [
        NewEvent(
            person_id=person.pk,
            type="fitness.visit",
            occurred_at=timezone.now(),
            idempotency_key=f"visit-{n}",
        )
        for n in range(200)
    ]
    results: list[list[bool]] = []

    def send() -> None:
        try:
            results.append(append_events(batch))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=send) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert Event.objects.filter(person=person, type="fitness.visit").count() == 200
    assert sorted(sum(r) for r in results) == [0, 200]


@pytest.mark.django_db(transaction=True)
def test_a_batch_for_a_person_being_deleted_waits_and_leaves_no_orphan(setup: Setup) -> None:
    import threading

    from django.db import connection, connections, transaction

    from luukku.customers.models.timeline import hold_timeline

    if connection.vendor != "postgresql":
        pytest.skip("concurrent writers are a PostgreSQL matter")
    gone = create_party(
        Person, values={"last_name": "Leaving"}, identity=(setup.sis, "S-9", {}), by=None
    ).party
    line = {
        "person": {"source": "sis", "external_id": "S-9"},
        "type": "fitness.visit",
        "occurred_at": "2026-11-27T10:00:00+01:00",
    }
    deleting, replies = threading.Event(), []

    def delete() -> None:
        try:
            with transaction.atomic():
                hold_timeline(exclusive=True)
                deleting.set()
                threading.Event().wait(0.5)  # a batch arriving now must wait
                gone.delete()
        finally:
            connections.close_all()

    def send() -> None:
        try:
            deleting.wait(10)
            replies.append(batch(bearer(setup.admin), [line]).json())
        finally:
            connections.close_all()

    threads = [threading.Thread(target=delete), threading.Thread(target=send)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert replies[0]["results"][0]["error"]["message"] == "No such person."
    assert not Event.objects.filter(person_id=gone.pk).exists()


def test_deleting_a_person_deletes_their_timeline(setup: Setup, person: Person) -> None:
    batch(
        bearer(setup.admin),
        [
            {
                "person": {"id": person.pk},
                "type": "fitness.visit",
                "occurred_at": "2026-11-27T10:00:00+01:00",
            }
        ],
    )
    assert Event.objects.filter(person_id=person.pk).exists()

    person.delete()

    assert not Event.objects.filter(person_id=person.pk).exists()


def test_events_can_be_listed_across_persons_by_type_and_time(setup: Setup, person: Person) -> None:
    other = create_party(Person, values={"last_name": "Other"}, by=None).party
    client = bearer(setup.admin)
    batch(
        client,
        [
            event(type="housing.contract_signed", occurred_at="2026-08-01T10:00:00+00:00"),
            event(
                person={"id": other.pk},
                type="housing.contract_signed",
                occurred_at="2026-09-01T10:00:00+00:00",
            ),
            event(type="housing.contract_signed", occurred_at="2026-01-01T10:00:00+00:00"),
            event(
                type="health.appointment",
                org_unit="health",
                sensitivity="restricted",
                occurred_at="2026-08-02T10:00:00+00:00",
            ),
        ],
    )

    signed = client.get(
        "/api/v1/events", {"type": "housing.contract_signed", "since": "2026-06-01T00:00:00Z"}
    ).json()["items"]
    as_admin = client.get("/api/v1/events", {"type": "health."}).json()["items"]
    as_nurse = bearer(setup.health_agent).get("/api/v1/events", {"type": "health."}).json()["items"]

    assert [e["occurred_at"][:7] for e in signed] == ["2026-09", "2026-08"]
    assert as_admin == []  # restricted to Health staff
    assert len(as_nurse) == 1


def test_a_full_batch_of_large_events_is_accepted(setup: Setup, person: Person) -> None:
    """10,000 lines with a few hundred bytes of payload each (about 6 MB) fit in one batch."""
    lines = [
        event(idempotency_key=f"big-{n}", payload={"note": "x" * 400, "n": n})
        for n in range(10_000)
    ]

    response = batch(bearer(setup.admin), lines)

    assert response.status_code == 200, response.content[:200]
    assert response.json()["created"] == 10_000


def test_a_batch_larger_than_the_server_accepts_is_a_clear_413(
    setup: Setup, person: Person, settings
) -> None:  # type: ignore[no-untyped-def]
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 10_000

    response = batch(bearer(setup.admin), [event(payload={"note": "x" * 400}) for _ in range(50)])

    assert response.status_code == 413
    assert response["Content-Type"] == "application/problem+json"
    assert "fewer lines" in response.json()["detail"]
