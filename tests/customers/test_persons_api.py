from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client

from luukku.core.models import AuditEntry
from luukku.customers.models import Event, Person
from tests.conftest import bearer
from tests.customers.conftest import Setup

pytestmark = pytest.mark.django_db


def post(client: Client, url: str, body: dict[str, Any]):  # type: ignore[no-untyped-def]
    return client.post(url, data=json.dumps(body), content_type="application/json")


def send(client: Client, method: str, url: str, body: dict[str, Any]):  # type: ignore[no-untyped-def]
    return getattr(client, method)(url, data=json.dumps(body), content_type="application/json")


def test_creating_a_person_normalizes_contact_points(setup: Setup) -> None:
    response = post(
        bearer(setup.housing_agent),
        "/api/v1/persons",
        {
            "first_name": "Ingrid",
            "last_name": "Haugen",
            "emails": [{"address": "Ingrid.Haugen@Example.TEST", "is_primary": True}],
            "phones": [{"number": "412 34 567"}, {"number": "+358 40 123 4567"}],
            "custom": {"student_status": "active", "credits": "120"},
            "identities": [{"source": "sis", "external_id": "S-1001"}],
        },
    )

    assert response.status_code == 201, response.content
    body = response.json()
    assert body["full_name"] == "Ingrid Haugen"
    assert body["emails"][0]["address"] == "Ingrid.Haugen@example.test"
    assert [p["number"] for p in body["phones"]] == ["+4741234567", "+358401234567"]
    assert body["custom"] == {"student_status": "active", "credits": 120}
    assert body["identities"] == [
        {
            "source": "sis",
            "external_id": "S-1001",
            "link": "https://sis.example.test/students/S-1001",
        }
    ]
    assert body["field_sources"]["first_name"]["source"] == "luukku"
    person = Person.objects.get(pk=body["id"])
    assert Event.objects.filter(person=person, type="luukku.person_created").exists()
    assert AuditEntry.objects.filter(object_type="customers.person", action="create").exists()


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"last_name": "X", "emails": [{"address": "not-an-email"}]}, "emails.0.address"),
        ({"last_name": "X", "phones": [{"number": "12"}]}, "phones.0.number"),
        ({"last_name": "X", "custom": {"shoe_size": 42}}, "custom.shoe_size"),
        ({"last_name": "X", "custom": {"student_status": "expelled"}}, "custom.student_status"),
        ({"last_name": "X", "custom": {"credits": 900}}, "custom.credits"),
        (
            {"last_name": "X", "identities": [{"source": "nope", "external_id": "1"}]},
            "identities.0.source",
        ),
        ({"first_name": "", "last_name": ""}, "last_name"),
        ({"last_name": "X", "favourite_colour": "blue"}, "favourite_colour"),
    ],
)
def test_bad_input_names_the_field_and_creates_nothing(
    setup: Setup, body: dict[str, Any], field: str
) -> None:
    response = post(bearer(setup.admin), "/api/v1/persons", body)

    assert response.status_code == 422, response.content
    assert field in [e["field"] for e in response.json()["errors"]]
    assert Person.objects.count() == 0


def test_a_duplicate_identity_is_refused(setup: Setup) -> None:
    client = bearer(setup.admin)
    post(
        client,
        "/api/v1/persons",
        {"last_name": "A", "identities": [{"source": "sis", "external_id": "S-1"}]},
    )

    response = post(
        client,
        "/api/v1/persons",
        {"last_name": "B", "identities": [{"source": "sis", "external_id": "S-1"}]},
    )

    assert response.status_code == 422
    assert Person.objects.count() == 1


def test_upsert_by_identity_creates_then_updates(setup: Setup) -> None:
    client = bearer(setup.admin)
    url = "/api/v1/persons/by-identity/sis/S-77"

    first = send(client, "put", url, {"first_name": "Mikko", "last_name": "Laine"})
    second = send(client, "put", url, {"first_name": "Mikko", "last_name": "Lehtinen"})

    assert first.status_code == 201
    assert second.status_code == 200
    assert second.json()["id"] == first.json()["id"]
    assert second.json()["last_name"] == "Lehtinen"
    assert second.json()["field_sources"]["last_name"]["source"] == "sis"


def test_a_lower_priority_source_does_not_overwrite_and_only_sets_allowed_fields(
    setup: Setup,
) -> None:
    client = bearer(setup.admin)
    send(
        client,
        "put",
        "/api/v1/persons/by-identity/sis/S-9",
        {"first_name": "Anna", "last_name": "Berg"},
    )
    person = Person.objects.get()
    from luukku.customers.actions.parties import update_party

    outcome = update_party(
        person,
        values={"last_name": "Bergström", "preferred_language": "sv"},
        source=setup.housing_system,
        by=None,
    )

    person.refresh_from_db()
    assert person.last_name == "Berg"
    assert set(outcome.kept) == {"last_name", "preferred_language"}


def test_staff_edits_outrank_source_systems(setup: Setup) -> None:
    client = bearer(setup.admin)
    created = send(
        client,
        "put",
        "/api/v1/persons/by-identity/sis/S-5",
        {"first_name": "Jon", "last_name": "Dahl"},
    )
    person_id = created.json()["id"]

    send(client, "patch", f"/api/v1/persons/{person_id}", {"first_name": "Jonas"})
    send(
        client,
        "put",
        "/api/v1/persons/by-identity/sis/S-5",
        {"first_name": "Jon", "last_name": "Dahl"},
    )

    assert Person.objects.get(pk=person_id).first_name == "Jonas"


def test_patch_replaces_the_email_list(setup: Setup) -> None:
    client = bearer(setup.admin)
    created = post(
        client,
        "/api/v1/persons",
        {
            "last_name": "Moe",
            "emails": [{"address": "a@example.test"}, {"address": "b@example.test"}],
        },
    ).json()

    patched = send(
        client,
        "patch",
        f"/api/v1/persons/{created['id']}",
        {"emails": [{"address": "b@example.test", "is_primary": True}]},
    ).json()

    assert [(e["address"], e["is_primary"]) for e in patched["emails"]] == [
        ("b@example.test", True)
    ]


def test_reading_a_profile_is_audited_and_shows_the_newest_timeline(setup: Setup) -> None:
    client = bearer(setup.housing_agent)
    person_id = post(client, "/api/v1/persons", {"last_name": "Solberg"}).json()["id"]

    detail = client.get(f"/api/v1/persons/{person_id}").json()

    assert [e["type"] for e in detail["timeline"]] == ["luukku.person_created"]
    assert AuditEntry.objects.filter(
        object_type="customers.person",
        object_id=str(person_id),
        action="view",
        actor=setup.housing_agent,
    ).exists()


def test_person_list_filters_by_phone_in_any_format(setup: Setup) -> None:
    client = bearer(setup.admin)
    post(
        client, "/api/v1/persons", {"last_name": "Nilsen", "phones": [{"number": "+47 412 34 567"}]}
    )
    post(client, "/api/v1/persons", {"last_name": "Olsen", "phones": [{"number": "98765432"}]})

    found = client.get("/api/v1/persons", {"phone": "41234567"}).json()["items"]

    assert [p["last_name"] for p in found] == ["Nilsen"]


def test_relationships_link_two_persons_both_ways(setup: Setup) -> None:
    client = bearer(setup.admin)
    parent = post(client, "/api/v1/persons", {"last_name": "Parent"}).json()["id"]
    child = post(client, "/api/v1/persons", {"last_name": "Child"}).json()["id"]

    created = post(
        client,
        "/api/v1/relationships",
        {
            "type": "guardian_of",
            "person_id": parent,
            "other_person_id": child,
            "valid_from": "2024-08-01",
        },
    )
    backwards = post(
        client,
        "/api/v1/relationships",
        {
            "type": "guardian_of",
            "person_id": parent,
            "other_person_id": child,
            "valid_from": "2024-08-01",
            "valid_to": "2024-01-01",
        },
    )
    child_view = client.get(f"/api/v1/persons/{child}").json()

    assert created.status_code == 201
    assert backwards.status_code == 422
    assert "end before it starts" in json.dumps(backwards.json())
    assert [(r["label"], r["reverse_label"]) for r in child_view["relationships"]] == [
        ("guardian of", "child of")
    ]
    assert "luukku.relationship_added" in [e["type"] for e in child_view["timeline"]]


def test_gender_is_recorded_only_when_the_organization_chooses_to(setup: Setup) -> None:
    from luukku.core.models import Organization

    client = bearer(setup.admin)
    refused = post(client, "/api/v1/persons", {"last_name": "G", "gender": "female"})
    form = Client()
    form.force_login(setup.admin)
    hidden = form.get("/customers/persons/new/").content.decode()
    settings_page = form.post(
        "/org/settings/",
        {
            "name": "Test Welfare",
            "country": "NO",
            "time_zone": "Europe/Oslo",
            "language": "nb",
            "records_gender": "on",
        },
    )
    allowed = post(client, "/api/v1/persons", {"last_name": "G", "gender": "female"})
    shown = form.get("/customers/persons/new/").content.decode()

    assert refused.status_code == 422
    assert refused.json()["errors"][0]["field"] == "gender"
    assert 'name="gender"' not in hidden
    assert settings_page.status_code == 302 and Organization.objects.get().records_gender
    assert allowed.status_code == 201 and allowed.json()["gender"] == "female"
    assert 'name="gender"' in shown
