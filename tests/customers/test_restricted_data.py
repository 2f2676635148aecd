"""Restricted (health) data stays with the staff of its unit, whichever way one tries."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone

from luukku.core.models import AuditEntry, Role, User
from luukku.customers.actions.contacts import ContactChanges, apply_contacts
from luukku.customers.actions.imports import start_import
from luukku.customers.actions.parties import create_party, link_identity, update_party
from luukku.customers.actions.relationships import create_relationship
from luukku.customers.importing import engine
from luukku.customers.models import CustomField, Event, Organization, Person, RelationshipType
from tests.conftest import bearer
from tests.customers.conftest import Setup
from tests.factories import user_with

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media(settings, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    settings.MEDIA_ROOT = tmp_path / "media"


def patient(setup: Setup) -> Person:
    party = create_party(
        Person,
        values={"first_name": "Per", "last_name": "Patient", "date_of_birth": "1990-01-02"},
        org_unit=setup.tree.health,
        sensitivity="restricted",
        by=None,
    ).party
    assert isinstance(party, Person)
    return party


def shared(setup: Setup) -> Person:
    party = create_party(
        Person,
        values={"first_name": "Siri", "last_name": "Shared"},
        org_unit=setup.tree.housing,
        by=None,
    ).party
    assert isinstance(party, Person)
    return party


def logged_in(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_a_tie_to_a_patient_is_restricted_and_names_nobody_to_others(setup: Setup) -> None:
    p, s = patient(setup), shared(setup)

    response = logged_in(setup.health_agent).post(
        f"/customers/persons/{p.pk}/relationships/",
        {"type": "guardian_of", "other": "Siri", "choice": s.pk},
    )

    assert response.status_code == 302
    rel = p.relationships.get()  # type: ignore[attr-defined]
    assert (rel.sensitivity, rel.org_unit) == ("restricted", setup.tree.health)
    timeline = bearer(setup.housing_agent).get(f"/api/v1/persons/{s.pk}/events").json()["items"]
    assert "Per Patient" not in json.dumps(timeline)


def test_records_restricted_to_different_units_cannot_be_linked(setup: Setup) -> None:
    p = patient(setup)
    other = create_party(
        Person,
        values={"last_name": "Tenant"},
        org_unit=setup.tree.housing,
        sensitivity="restricted",
        by=None,
    ).party
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError, match="different org units"):
        create_relationship(
            type=RelationshipType.objects.get(code="guardian_of"), person=p, other=other, by=None
        )


def test_a_restricted_organization_does_not_show_through_relationships(setup: Setup) -> None:
    clinic = create_party(
        Organization,
        values={"name": "Secret Clinic"},
        org_unit=setup.tree.health,
        sensitivity="restricted",
        by=None,
    ).party
    s = shared(setup)
    create_relationship(
        type=RelationshipType.objects.get(code="tenant_at"), person=s, other=clinic, by=None
    )

    listed = (
        bearer(setup.housing_agent)
        .get("/api/v1/relationships", {"organization_id": clinic.pk})
        .json()
    )
    page = logged_in(setup.housing_agent).get(f"/customers/persons/{s.pk}/").content.decode()

    assert listed["items"] == []
    assert "Secret Clinic" not in page
    assert (
        "Secret Clinic"
        in logged_in(setup.health_agent).get(f"/customers/persons/{s.pk}/").content.decode()
    )


def test_only_health_staff_set_a_restricted_field_and_others_do_not_hear_of_it(
    setup: Setup,
) -> None:
    s = shared(setup)
    body = json.dumps({"custom": {"diagnosis_group": "X"}})

    refused = bearer(setup.housing_agent).patch(
        f"/api/v1/persons/{s.pk}", data=body, content_type="application/json"
    )
    allowed = bearer(setup.health_agent).patch(
        f"/api/v1/persons/{s.pk}", data=body, content_type="application/json"
    )

    assert refused.status_code == 422
    assert refused.json()["errors"][0]["field"] == "custom.diagnosis_group"
    assert allowed.status_code == 200
    visible_to_housing = (
        bearer(setup.housing_agent).get(f"/api/v1/persons/{s.pk}/events").json()["items"]
    )
    assert "diagnosis_group" not in json.dumps(visible_to_housing)
    restricted_event = Event.objects.get(
        person=s, sensitivity="restricted", type="luukku.person_updated"
    )
    assert restricted_event.org_unit == setup.tree.health


def test_a_unit_admin_cannot_make_a_restricted_field_public(setup: Setup) -> None:
    housing_admin = user_with(Role.ADMINISTRATOR, setup.tree.housing, username="hadmin")
    field = CustomField.objects.get(key="diagnosis_group")

    response = logged_in(housing_admin).post(
        f"/customers/settings/fields/{field.pk}/",
        {
            "entity": "person",
            "key": "diagnosis_group",
            "label": "Diagnosis group",
            "kind": "text",
            "sensitivity": "normal",
            "position": 0,
            "choices": "",
        },
    )

    assert response.status_code == 403
    field.refresh_from_db()
    assert field.sensitivity == "restricted"


def test_an_org_admin_cannot_subscribe_to_health_records(setup: Setup) -> None:
    response = bearer(setup.admin).post(
        "/api/v1/webhooks",
        data=json.dumps(
            {"url": "https://evil.example.test/h", "org_unit_id": setup.tree.health.pk}
        ),
        content_type="application/json",
    )

    assert response.status_code == 403


def test_the_audit_log_names_no_patient_to_an_org_admin(setup: Setup) -> None:
    p = patient(setup)
    health_admin = user_with(Role.ADMINISTRATOR, setup.tree.health, username="hladmin")

    org_admin_page = logged_in(setup.admin).get("/audit/").content.decode()
    health_admin_page = logged_in(health_admin).get("/audit/").content.decode()

    entry = AuditEntry.objects.get(
        object_type="customers.person", object_id=str(p.pk), action="create"
    )
    assert entry.object_repr == f"person #{p.pk}"
    assert "1990-01-02" not in json.dumps(entry.changes)
    assert "Per Patient" not in org_admin_page and f"person #{p.pk}" not in org_admin_page
    assert f"person #{p.pk}" in health_admin_page


def test_an_import_does_not_touch_another_units_restricted_record(setup: Setup) -> None:
    p = patient(setup)
    link_identity(p, setup.sis, "S-9", {})
    housing_admin = user_with(Role.ADMINISTRATOR, setup.tree.housing, username="hadmin")
    run = start_import(
        upload=SimpleUploadedFile(
            "p.csv", b"id;first;last;lang\nS-9;Hacked;Name;fi\nS-10;New;One;nb\n"
        ),
        source=setup.sis,
        entity="person",
        org_unit=setup.tree.housing,
        by=housing_admin,
    )
    run.columns = {
        "id": "external_id",
        "first": "first_name",
        "last": "last_name",
        "lang": "preferred_language",
    }
    run.save()

    engine.check(run)
    run.mode = "valid"
    engine.run_import(run)

    p.refresh_from_db()
    assert p.preferred_language == "" and p.first_name == "Per"
    assert [e["message"] for e in run.errors] == ["This id belongs to a record you may not change."]
    assert (run.created, run.updated) == (1, 0)


def test_a_restricted_import_creates_restricted_records(setup: Setup) -> None:
    health_admin = user_with(Role.ADMINISTRATOR, setup.tree.health, username="hladmin")
    run = start_import(
        upload=SimpleUploadedFile("p.csv", b"id;first;last\nH-1;Secret;Pat\n"),
        source=setup.sis,
        entity="person",
        org_unit=setup.tree.health,
        by=health_admin,
        sensitivity="restricted",
    )
    run.columns = {"id": "external_id", "first": "first_name", "last": "last_name"}
    run.save()
    engine.check(run)
    engine.run_import(run)

    patient_ = Person.objects.get(last_name="Pat")
    assert patient_.sensitivity == "restricted"
    entry = AuditEntry.objects.get(object_id=str(patient_.pk), via="import")
    assert (entry.object_repr, entry.sensitivity) == (f"person #{patient_.pk}", "restricted")
    assert f"person #{patient_.pk}" not in logged_in(setup.admin).get("/audit/").content.decode()
    assert f"person #{patient_.pk}" in logged_in(health_admin).get("/audit/").content.decode()


def test_an_importer_cannot_open_another_units_import(setup: Setup) -> None:
    health_admin = user_with(Role.ADMINISTRATOR, setup.tree.health, username="hladmin")
    housing_admin = user_with(Role.ADMINISTRATOR, setup.tree.housing, username="hadmin")
    run = start_import(
        upload=SimpleUploadedFile("p.csv", b"id;first;last\nH-1;Secret;Patientname\n"),
        source=setup.sis,
        entity="person",
        org_unit=setup.tree.health,
        by=health_admin,
    )
    client = logged_in(housing_admin)

    assert client.get(f"/customers/import/{run.pk}/map/").status_code == 404
    assert client.post(f"/customers/import/{run.pk}/confirm/").status_code == 404
    assert "p.csv" not in client.get("/customers/import/").content.decode()
    assert logged_in(health_admin).get(f"/customers/import/{run.pk}/map/").status_code == 200


def test_event_ingest_is_no_oracle_for_restricted_persons(setup: Setup) -> None:
    p = patient(setup)
    apply_contacts(
        p, ContactChanges(emails=[{"address": "per@example.test"}]), source="luukku", replace=False
    )
    housing_admin = user_with(Role.ADMINISTRATOR, setup.tree.housing, username="hadmin")

    def send(email: str) -> dict:  # type: ignore[type-arg]
        return (
            bearer(housing_admin)
            .post(
                "/api/v1/events",
                data=json.dumps(
                    {
                        "person": {"email": email},
                        "type": "housing.x",
                        "org_unit": "housing",
                        "occurred_at": timezone.now().isoformat(),
                    }
                ),
                content_type="application/json",
            )
            .json()
        )

    known, unknown = send("per@example.test"), send("nobody@example.test")

    assert known == unknown
    assert not Event.objects.filter(person=p, type="housing.x").exists()


def test_idempotency_keys_belong_to_their_source(setup: Setup) -> None:
    s = shared(setup)

    def line(source: str) -> str:
        return json.dumps(
            {
                "person": {"id": s.pk},
                "type": "x.y",
                "source": source,
                "idempotency_key": "1",
                "occurred_at": timezone.now().isoformat(),
            }
        )

    first = bearer(setup.admin).post(
        "/api/v1/events", data=line("housing"), content_type="application/json"
    )
    second = bearer(setup.admin).post(
        "/api/v1/events", data=line("finance"), content_type="application/json"
    )
    again = bearer(setup.admin).post(
        "/api/v1/events", data=line("finance"), content_type="application/json"
    )

    assert (first.json()["status"], second.json()["status"], again.json()["status"]) == (
        "created",
        "created",
        "duplicate",
    )


def test_a_source_cannot_touch_contact_points_it_may_not_set(setup: Setup) -> None:
    s = shared(setup)
    update_party(
        s,
        values={},
        contacts=ContactChanges(
            emails=[{"address": "staff@example.test", "is_primary": True, "is_verified": True}]
        ),
        replace_contacts=False,
        by=None,
    )
    link_identity(s, setup.housing_system, "H-1", {})

    response = bearer(setup.admin).put(
        "/api/v1/persons/by-identity/housing/H-1",
        data=json.dumps(
            {
                "first_name": "Siri",
                "last_name": "Shared",
                "emails": [{"address": "junk@example.test", "is_primary": True}],
            }
        ),
        content_type="application/json",
    )

    assert response.status_code == 200
    assert {(e["address"], e["is_primary"]) for e in response.json()["emails"]} == {
        ("staff@example.test", True)
    }


def test_a_source_that_may_set_emails_adds_them_without_taking_the_primary(setup: Setup) -> None:
    s = shared(setup)
    update_party(
        s,
        values={},
        contacts=ContactChanges(emails=[{"address": "staff@example.test", "is_primary": True}]),
        replace_contacts=False,
        by=None,
    )
    link_identity(s, setup.sis, "S-77", {})

    response = bearer(setup.admin).put(
        "/api/v1/persons/by-identity/sis/S-77",
        data=json.dumps(
            {
                "first_name": "Siri",
                "last_name": "Shared",
                "emails": [{"address": "sis@example.test", "is_primary": True}],
            }
        ),
        content_type="application/json",
    )

    assert {(e["address"], e["is_primary"]) for e in response.json()["emails"]} == {
        ("staff@example.test", True),
        ("sis@example.test", False),
    }
