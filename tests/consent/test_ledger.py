"""The consent ledger and the gate: every grant and withdrawal recorded with its
evidence and never changed; the answer to "may we contact them" explained."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import DatabaseError, connection, transaction
from django.utils import timezone

from luukku.consent import services
from luukku.consent.gate import may_contact, may_serve
from luukku.consent.models import AppendOnlyError, ConsentRecord, ConsentState, Source
from luukku.consent.services import Evidence
from luukku.customers.models import EmailAddress, Event
from tests.consent.conftest import World

pytestmark = pytest.mark.django_db


def test_a_grant_is_recorded_with_its_evidence_and_opens_the_gate(world: World) -> None:
    ingrid, news = world.ingrid, world.newsletter
    assert may_contact(ingrid, news, "email").reason == "never_granted"
    [record] = services.record(
        ingrid,
        news,
        "granted",
        Evidence(source=Source.FORM, ip="192.0.2.7", user_agent="Firefox", details={"form": "x"}),
        channels=["email"],
    )
    assert record.text is not None and record.text.language == "nb"  # what she was shown
    answer = may_contact(ingrid, news, "email")
    assert answer.allowed and answer.reason == "granted" and answer.record == record
    assert "form" in answer.explanation
    assert not may_contact(ingrid, news, "sms")  # granted for email only
    event = Event.objects.get(person=ingrid, type="consent.granted")
    assert event.payload == {"purpose": "fitness-news", "channels": ["email"], "source": "form"}


def test_an_old_consent_imported_late_does_not_override_a_newer_withdrawal(
    world: World,
) -> None:
    ingrid, news = world.ingrid, world.newsletter
    services.record(ingrid, news, "withdrawn", Evidence(source=Source.AGENT))
    last_year = timezone.now() - dt.timedelta(days=365)
    services.record(ingrid, news, "granted", Evidence(source=Source.IMPORT, occurred_at=last_year))
    assert ConsentRecord.objects.filter(person=ingrid).count() == 4  # two channels each
    assert may_contact(ingrid, news, "email").reason == "withdrawn"
    with pytest.raises(Exception, match="future"):
        services.record(
            ingrid,
            news,
            "granted",
            Evidence(source=Source.API, occurred_at=timezone.now() + dt.timedelta(days=1)),
        )


def test_the_ledger_cannot_be_changed(world: World) -> None:
    [record] = services.record(
        world.ingrid, world.newsletter, "granted", Evidence(source=Source.API), channels=["sms"]
    )
    record.action = "withdrawn"
    with pytest.raises(AppendOnlyError):
        record.save()
    if connection.vendor == "postgresql":
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
            ConsentRecord.objects.filter(pk=record.pk).update(action="withdrawn")
    assert ConsentRecord.objects.get(pk=record.pk).action == "granted"


def test_each_lawful_basis_and_each_block_is_explained(world: World) -> None:
    ingrid = world.ingrid
    # Legitimate interest: allowed until she objects; a legal obligation even then.
    assert may_contact(ingrid, world.offers, "email").reason == "lawful_basis"
    services.record(ingrid, world.offers, "withdrawn", Evidence(source=Source.PREFERENCE_CENTER))
    assert may_contact(ingrid, world.offers, "email").reason == "withdrawn"
    services.record(ingrid, world.notices, "withdrawn", Evidence(source=Source.AGENT))
    assert may_contact(ingrid, world.notices, "email").reason == "legal_obligation"
    assert may_contact(ingrid, world.notices, "letter").reason == "no_address"
    assert may_contact(ingrid, world.offers, "sms").reason == "channel_not_covered"

    services.record(ingrid, world.newsletter, "requested", Evidence(source=Source.LANDING_PAGE))
    assert may_contact(ingrid, world.newsletter, "sms").reason == "pending"
    services.record(ingrid, world.newsletter, "granted", Evidence(source=Source.DOUBLE_OPT_IN))
    assert may_contact(ingrid, world.newsletter, "sms")

    # A bouncing address: no marketing, and no service mail either.
    EmailAddress.objects.filter(person=ingrid).update(bounced_at=timezone.now())
    assert may_contact(ingrid, world.newsletter, "email").reason == "no_address"
    assert not may_serve(ingrid, "email") and may_serve(ingrid, "sms")

    # Unsubscribed from everything: every purpose stops, also ones that come later.
    services.withdraw_everything(ingrid, Evidence(source=Source.ONE_CLICK))
    assert may_contact(ingrid, world.newsletter, "sms").reason == "unsubscribed"
    world.offers.is_active = False
    world.offers.save()
    assert may_contact(ingrid, world.offers, "email").reason == "purpose_inactive"
    states = ConsentState.objects.filter(person=ingrid, purpose=world.newsletter)
    assert set(states.values_list("action", flat=True)) == {"withdrawn"}
