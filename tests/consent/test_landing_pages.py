"""Landing pages: a marketer builds one from blocks and publishes it; people sign up
through it; mistakes, bots and floods record nothing."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from luukku.consent import signup
from luukku.consent.gate import may_contact
from luukku.consent.models import ConsentRecord, LandingPage, Submission
from luukku.customers.models import Event, Person
from tests.consent.conftest import World
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db


def _page(world: World, **blocks_extra: Any) -> LandingPage:
    return LandingPage.objects.create(
        title="Bli med i treningsklubben",
        slug="trening",
        org_unit=world.tree.housing,
        language="nb",
        is_published=True,
        thank_you="Takk for påmeldingen!",
        blocks=[
            {"type": "heading", "text": "Nyhetsbrev"},
            {"type": "field", "field": "first_name", "label": "", "required": True},
            {"type": "field", "field": "email", "label": "", "required": True},
            {"type": "field", "field": "phone", "label": "", "required": False},
            {"type": "consent", "purpose": "fitness-news", "channels": ["email"], "required": True},
            {
                "type": "choice",
                "name": "interests",
                "label": "Hva liker du?",
                "options": ["Yoga", "Spinning", "Styrke"],
                "multiple": True,
                "required": False,
            },
        ],
    )


def test_a_new_person_signs_up_and_is_asked_to_confirm(world: World) -> None:
    _page(world)
    client = Client(HTTP_USER_AGENT="Safari", REMOTE_ADDR="203.0.113.5")
    page = client.get("/p/f/trening/").content.decode()
    assert "Nyhetsbrev fra treningssenteret" in page and "Fornavn" in page  # in Norwegian
    sent = client.post(
        "/p/f/trening/",
        {
            "first_name": "Sofie",
            "email": "Sofie@Example.NO",
            "phone": "412 34 567",
            "consent_4": "on",
            "choice_interests": ["Yoga", "Styrke"],
        },
    )
    assert sent.status_code == 200
    assert "Takk for påmeldingen!" in sent.content.decode()
    person = Person.objects.get(first_name="Sofie")
    assert person.preferred_language == "nb" and person.org_unit == world.tree.housing
    assert person.emailaddresss.get().address == "Sofie@example.no"
    assert person.phonenumbers.get().number == "+4741234567"
    asked = ConsentRecord.objects.get(person=person)
    assert (asked.action, asked.channel, asked.ip, asked.user_agent) == (
        "requested",
        "email",
        "203.0.113.5",
        "Safari",
    )
    assert asked.text is not None and asked.text.language == "nb"
    assert asked.evidence["page"] == "trening"
    assert may_contact(person, world.newsletter, "email").reason == "pending"
    event = Event.objects.get(person=person, type="form.submitted")
    assert event.payload["answers"] == {"interests": ["Yoga", "Styrke"]}


def test_a_known_address_fills_only_what_is_empty(world: World) -> None:
    _page(world)
    ingrid = world.ingrid
    Client().post(
        "/p/f/trening/",
        {"first_name": "Mallory", "email": "INGRID@example.test", "consent_4": "on"},
    )
    ingrid.refresh_from_db()
    assert ingrid.first_name == "Ingrid"  # a stranger cannot rename her
    submission = Submission.objects.get()
    assert submission.person == ingrid and not submission.created_person
    assert submission.answers["differs_from_profile"] == {"first_name": "Mallory"}
    assert Person.objects.count() == 1


def test_mistakes_are_shown_in_the_pages_language_and_nothing_is_recorded(world: World) -> None:
    _page(world)
    client = Client()
    answer = client.post("/p/f/trening/", {"first_name": "Sofie", "email": "not-an-address"})
    page = answer.content.decode()
    assert answer.status_code == 400
    assert "Skriv inn en gyldig e-postadresse." in page  # the email
    assert "Dette feltet er påkrevd." in page  # the required consent
    assert 'value="Sofie"' in page  # what was typed is kept
    assert not Person.objects.filter(first_name="Sofie").exists()
    assert not Submission.objects.exists() and not ConsentRecord.objects.exists()


def test_bots_and_floods_record_nothing(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    _page(world)
    client = Client(REMOTE_ADDR="198.51.100.9")
    filled = {"first_name": "Bot", "email": "bot@example.test", "consent_4": "on"}
    trap = client.post("/p/f/trening/", {**filled, "website": "http://spam.example"})
    assert trap.status_code == 200  # looks like success to the bot
    assert not Person.objects.filter(first_name="Bot").exists()
    monkeypatch.setattr(signup, "RATE_LIMIT", 2)
    for number in range(2):
        client.post("/p/f/trening/", {**filled, "email": f"p{number}@example.test"})
    flooded = client.post("/p/f/trening/", {**filled, "email": "p3@example.test"})
    assert flooded.status_code == 400
    assert "Prøv igjen om noen minutter" in flooded.content.decode()
    assert not Person.objects.filter(emailaddresss__address="p3@example.test").exists()
    assert Submission.objects.count() == 2


def test_an_unpublished_or_unknown_page_is_not_there(world: World) -> None:
    page = _page(world)
    page.is_published = False
    page.save()
    assert Client().get("/p/f/trening/").status_code == 404
    assert Client().get("/p/f/nothing/").status_code == 404


def test_a_marketer_builds_previews_and_publishes_a_page(world: World) -> None:
    client = Client()
    assert client.login(username="maria", password=PASSWORD)
    client.post(
        "/consent/pages/new/",
        {
            "title": "Dining club",
            "slug": "dining",
            "org_unit": world.tree.housing.pk,
            "language": "en",
            "thank_you": "Thanks!",
        },
    )
    page = LandingPage.objects.get(slug="dining")
    url = f"/consent/pages/{page.pk}/blocks/"
    client.post(
        url,
        {
            "action": "add",
            "new-type": "consent",
            "new-purpose": "fitness-news",
            "new-required": "on",
        },
    )
    client.post(url, {"action": "add", "new-type": "heading", "new-text": "Join us"})
    client.post(url, {"action": "up", "index": "3"})  # the heading above the consent
    page.refresh_from_db()
    assert [b["type"] for b in page.blocks] == ["field", "field", "heading", "consent"]

    refused = client.post(url, {"action": "remove", "index": "1"}, follow=True)  # the email
    assert "The page needs an email field" in refused.content.decode()
    bad = client.post(
        url, {"action": "add", "new-type": "field", "new-field": "custom:shoe_size"}, follow=True
    )
    assert (
        "Block 5: unknown field" in bad.content.decode() or "Select a valid" in bad.content.decode()
    )
    page.refresh_from_db()
    assert len(page.blocks) == 4  # nothing saved by the refusals

    preview = client.get(f"/consent/pages/{page.pk}/preview/").content.decode()
    assert "Join us" in preview and "Fitness newsletter" in preview and "Preview" in preview
    assert Client().get("/p/f/dining/").status_code == 404  # not yet published
    client.post(f"/consent/pages/{page.pk}/publish/", {"publish": "on"})
    assert Client().get("/p/f/dining/").status_code == 200
    listing = client.get("/consent/pages/").content.decode()
    assert "/p/f/dining/" in listing


def test_a_page_that_cannot_work_is_refused_with_each_reason(world: World) -> None:
    from django.core.exceptions import ValidationError

    from luukku.consent.landing import check_blocks

    with pytest.raises(ValidationError) as refused:
        check_blocks(
            [
                {"type": "video"},
                {"type": "field", "field": "last_name"},
                {"type": "field", "field": "last_name"},
                {"type": "consent", "purpose": "housing-offers", "channels": ["sms"]},
                {"type": "consent", "purpose": "gone"},
                {"type": "choice", "name": "Size!", "options": ["S", "M"]},
                {"type": "choice", "name": "size", "options": ["S"]},
                {"type": "text", "text": "  "},
            ]
        )
    assert refused.value.messages == [
        "Block 1: unknown kind of block: video",
        "Block 3: the field last_name is asked twice.",
        "Block 4: the purpose does not cover: sms",
        "Block 5: no purpose in use called gone.",
        "Block 6: a choice needs a short name of letters, digits, - and _.",
        "Block 7: a choice needs at least two options.",
        "Block 8: it has no text.",
        "The page needs an email field: confirmations go there.",
    ]
