"""Staff define purposes and their versioned texts, see and record a person's consents;
source systems read and write them through the API."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.test import Client
from django.utils import timezone

from luukku.consent import services
from luukku.consent.gate import may_contact
from luukku.consent.models import ConsentRecord, Purpose, PurposeText, Source
from luukku.consent.services import Evidence
from luukku.core.models import AuditEntry, Role
from tests.conftest import bearer
from tests.consent.conftest import World
from tests.factories import PASSWORD, user_with

pytestmark = pytest.mark.django_db


def test_a_marketer_defines_a_purpose_and_each_new_wording_is_a_version(world: World) -> None:
    client = Client()
    assert client.login(username="maria", password=PASSWORD)
    assert "Marketing" in client.get("/").content.decode()
    client.post(
        "/consent/purposes/new/",
        {
            "form": "purpose",
            "name": "Dining offers",
            "slug": "dining",
            "org_unit": world.tree.housing.pk,
            "lawful_basis": "consent",
            "channels": ["email", "sms"],
            "is_active": "on",
        },
    )
    purpose = Purpose.objects.get(slug="dining")
    url = f"/consent/purposes/{purpose.pk}/"
    text = {"form": "text", "language": "fi", "title": "Ruokatarjoukset", "body": "Viikoittain."}
    client.post(url, text)
    client.post(url, text)  # the same words: no new version
    client.post(url, {**text, "body": "Kerran viikossa."})
    versions = list(PurposeText.objects.filter(purpose=purpose).values_list("version", "body"))
    assert sorted(versions) == [(1, "Viikoittain."), (2, "Kerran viikossa.")]
    page = client.get(url).content.decode()
    assert "Kerran viikossa." in page and "Viikoittain." not in page
    refused = client.post(
        "/consent/purposes/new/",
        {
            "form": "purpose",
            "name": "X",
            "slug": "x",
            "org_unit": world.tree.housing.pk,
            "lawful_basis": "consent",
            "channels": ["fax"],
        },
    )
    assert "Select a valid choice" in refused.content.decode()
    assert AuditEntry.objects.filter(actor=world.marketer, object_type="consent.purpose").exists()
    assert client.login(username="kari", password=PASSWORD)
    assert client.get("/consent/purposes/").status_code == 403


def test_the_profile_shows_the_standing_and_an_agent_records_what_the_customer_said(
    world: World,
) -> None:
    ingrid = world.ingrid
    services.record(ingrid, world.newsletter, "granted", Evidence(source=Source.FORM))
    client = Client()
    assert client.login(username="kari", password=PASSWORD)
    profile = client.get(f"/customers/persons/{ingrid.pk}/").content.decode()
    panel = profile[profile.index('id="profile-consents"') :]
    assert "Fitness newsletter" in panel and "Consent given on" in panel
    client.post(
        f"/consent/persons/{ingrid.pk}/record/",
        {
            "purpose": world.newsletter.pk,
            "channel": "sms",
            "action": "withdrawn",
            "note": "Said so on the phone",
        },
    )
    assert may_contact(ingrid, world.newsletter, "sms").reason == "withdrawn"
    record = ConsentRecord.objects.get(person=ingrid, channel="sms", action="withdrawn")
    assert record.actor == world.agent and record.evidence == {"note": "Said so on the phone"}
    ledger = client.get(f"/consent/persons/{ingrid.pk}/").content.decode()
    assert "Said so on the phone" in ledger and "staff member" in ledger
    assert AuditEntry.objects.filter(
        actor=world.agent, action="view", object_id=str(ingrid.pk)
    ).exists()
    # An analyst may read the profile, not record consents.
    user_with(Role.ANALYST, world.tree.housing, username="anna")
    assert client.login(username="anna", password=PASSWORD)
    profile = client.get(f"/customers/persons/{ingrid.pk}/").content.decode()
    assert 'id="record-consent"' not in profile
    denied = client.post(
        f"/consent/persons/{ingrid.pk}/record/",
        {"purpose": world.newsletter.pk, "channel": "sms", "action": "granted"},
    )
    assert denied.status_code == 403


def _post(client: Client, body: dict[str, object]) -> object:
    return client.post("/api/v1/consents", data=json.dumps(body), content_type="application/json")


def test_source_systems_record_and_read_consents(world: World) -> None:
    ingrid = world.ingrid
    api = bearer(world.agent)
    made = _post(
        api,
        {
            "person_id": ingrid.pk,
            "purpose": "fitness-news",
            "action": "granted",
            "channels": ["sms"],
            "source": "form",
            "occurred_at": (timezone.now() - dt.timedelta(days=2)).isoformat(),
            "text_language": "nb",
            "text_version": 1,
            "ip": "198.51.100.4",
            "evidence": {"form": "gym-signup"},
        },
    )
    assert made.status_code == 201, made.content  # type: ignore[attr-defined]
    [row] = made.json()  # type: ignore[attr-defined]
    assert row["channel"] == "sms" and row["text_version"] == 1 and row["recorded_by"] == "kari"
    standing = api.get("/api/v1/consents", {"person_id": ingrid.pk}).json()["standing"]
    sms = next(s for s in standing if s["purpose"] == "fitness-news" and s["channel"] == "sms")
    assert sms["allowed"] and sms["reason"] == "granted"
    page = api.get("/api/v1/consents/records", {"person_id": ingrid.pk, "limit": 1}).json()
    assert [r["id"] for r in page["items"]] == [row["id"]] and page["next_cursor"] is None

    for body, problem in (
        ({"purpose": "nope", "action": "granted"}, "No such purpose"),
        ({"purpose": "fitness-news", "action": "granted", "channels": ["letter"]}, "cover"),
        ({"purpose": "fitness-news", "action": "granted", "colour": "red"}, "colour"),
        ({"purpose": "fitness-news", "action": "maybe"}, "action"),
        (
            {
                "purpose": "fitness-news",
                "action": "granted",
                "text_language": "sv",
                "text_version": 1,
            },
            "No text",
        ),
    ):
        answer = _post(api, {"person_id": ingrid.pk, **body})
        assert answer.status_code == 422, body  # type: ignore[attr-defined]
        assert problem in answer.content.decode()  # type: ignore[attr-defined]
    assert ConsentRecord.objects.count() == 1  # nothing half-recorded
    nurse = user_with(Role.MARKETER, world.tree.health, username="health-marketer")
    assert bearer(nurse).get("/api/v1/consents", {"person_id": 999999}).status_code == 404
