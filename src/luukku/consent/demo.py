"""Demo consent: two purposes with their texts in every language, a published landing
page, and the answers of some demo customers, once."""

from __future__ import annotations

import random

from luukku.consent import pages, purposes, services
from luukku.consent.models import Action, LandingPage, LawfulBasis, Purpose, Source
from luukku.consent.services import Evidence
from luukku.core.models import OrgUnit
from luukku.customers.models import Person

TEXTS = {
    "fitness-news": {
        "en": (
            "News from Nordby Fitness",
            "Class timetables, new courses and offers, once a month.",
        ),
        "nb": ("Nytt fra Nordby Trening", "Timeplaner, nye kurs og tilbud, en gang i måneden."),
        "fi": (
            "Uutisia Nordby Fitnessistä",
            "Tuntiaikataulut, uudet kurssit ja tarjoukset kerran kuussa.",
        ),
        "sv": (
            "Nytt från Nordby Träning",
            "Schema, nya kurser och erbjudanden, en gång i månaden.",
        ),
    },
    "housing-offers": {
        "en": ("Housing offers", "Vacant flats and parking places when they come up."),
        "nb": ("Boligtilbud", "Ledige leiligheter og parkeringsplasser når de kommer."),
        "fi": ("Asuntotarjoukset", "Vapautuvat asunnot ja pysäköintipaikat."),
        "sv": ("Bostadserbjudanden", "Lediga lägenheter och parkeringsplatser när de dyker upp."),
    },
}


def load_consent_demo(units: dict[str, OrgUnit], *, seed: int = 13) -> int:
    """Returns how many consents were recorded (0 when the demo was loaded before)."""
    if Purpose.objects.filter(slug="fitness-news").exists():
        return 0
    news = purposes.save_purpose(
        Purpose(
            name="Fitness newsletter",
            slug="fitness-news",
            org_unit=units["fitness"],
            lawful_basis=LawfulBasis.CONSENT,
            channels=["email", "sms"],
        ),
        by=None,
    )
    offers = purposes.save_purpose(
        Purpose(
            name="Housing offers",
            slug="housing-offers",
            org_unit=units["housing"],
            lawful_basis=LawfulBasis.LEGITIMATE_INTEREST,
            channels=["email"],
        ),
        by=None,
    )
    for purpose in (news, offers):
        for language, (title, body) in TEXTS[purpose.slug].items():
            purposes.publish_text(purpose, language=language, title=title, body=body, by=None)
    pages.save_page(
        LandingPage(
            title="Join the Nordby Fitness newsletter",
            slug="fitness",
            org_unit=units["fitness"],
            language="en",
            thank_you="Welcome aboard!",
            is_published=True,
            blocks=[
                {"type": "heading", "text": "Classes, courses and offers"},
                {"type": "field", "field": "first_name", "label": "", "required": True},
                {"type": "field", "field": "email", "label": "", "required": True},
                {
                    "type": "consent",
                    "purpose": "fitness-news",
                    "channels": ["email"],
                    "required": True,
                },
                {
                    "type": "choice",
                    "name": "interests",
                    "label": "What do you like?",
                    "options": ["Yoga", "Spinning", "Strength", "Swimming"],
                    "multiple": True,
                    "required": False,
                },
            ],
        ),
        by=None,
    )
    rng = random.Random(seed)  # noqa: S311 (demo data, not secrets)
    people = list(
        Person.objects.filter(emailaddresss__isnull=False).distinct().order_by("pk")[:400]
    )
    recorded = 0
    for person in people:
        roll = rng.random()
        if roll < 0.45:
            services.record(
                person, news, Action.GRANTED, Evidence(source=Source.FORM), channels=["email"]
            )
            recorded += 1
        elif roll < 0.5:
            services.record(
                person, offers, Action.WITHDRAWN, Evidence(source=Source.PREFERENCE_CENTER)
            )
            recorded += 1
    return recorded
