"""Demo journeys: an activation program (offer a service; remind after 20 days and 7
more unless it is activated; thank at once when it is), ready to be checked and
activated, and a welcome for new tenants over their first three weeks, active."""

from __future__ import annotations

from typing import Any

from luukku.campaigns.models import Content
from luukku.campaigns.services import save_content
from luukku.consent import purposes
from luukku.consent.models import LawfulBasis, Purpose
from luukku.core.models import OrgUnit
from luukku.journeys import services
from luukku.journeys.models import Journey

ACTIVATION = "Activate the Nordby app"
WELCOME = "Welcome to your new home"


def _mail(text: str, button: str = "", url: str = "") -> str:
    action = (
        f'<mj-button href="{url}" background-color="#2a6f97">{button}</mj-button>' if url else ""
    )
    return (
        '<mjml><mj-body background-color="#f4f7f9"><mj-section background-color="#ffffff">'
        '<mj-column><mj-text font-size="18px">'
        '{{ person.first_name | default: "" }},</mj-text>'
        f"<mj-text>{text}</mj-text>{action}</mj-column></mj-section></mj-body></mjml>"
    )


APP = "https://nordby.example/app"
MESSAGES: dict[str, dict[str, tuple[str, str]]] = {
    "offer": {
        "nb": (
            "Nordby-appen er klar for deg",
            _mail(
                "Med appen ser du husleie, vaskeritider og treningstimer på ett sted.",
                "Aktiver appen",
                APP,
            ),
        ),
        "en": (
            "The Nordby app is ready for you",
            _mail(
                "The app shows your rent, laundry slots and classes in one place.",
                "Activate the app",
                APP,
            ),
        ),
    },
    "reminder": {
        "nb": (
            "Har du prøvd Nordby-appen?",
            _mail("Det tar et minutt å aktivere appen.", "Aktiver appen", APP),
        ),
        "en": (
            "Have you tried the Nordby app?",
            _mail("Activating the app takes a minute.", "Activate the app", APP),
        ),
    },
    "last": {
        "nb": (
            "En siste påminnelse om appen",
            _mail("Appen er fortsatt klar for deg.", "Aktiver appen", APP),
        ),
        "en": (
            "A last reminder about the app",
            _mail("The app is still waiting for you.", "Activate the app", APP),
        ),
    },
    "thanks": {
        "nb": (
            "Takk for at du aktiverte appen",
            _mail("Velkommen! Nå har du alt fra Nordby samlet på ett sted."),
        ),
        "en": (
            "Thank you for activating the app",
            _mail("Welcome! Everything from Nordby is now in one place."),
        ),
    },
    "welcome": {
        "nb": (
            "Velkommen til din nye bolig",
            _mail(
                "Her finner du nøkler, vaskeri og internett.",
                "Ny leietaker",
                "https://nordby.example/bolig/ny",
            ),
        ),
        "en": (
            "Welcome to your new home",
            _mail(
                "Keys, laundry and internet: all you need in your first week.",
                "New tenants",
                "https://nordby.example/housing/new",
            ),
        ),
    },
    "tips": {
        "nb": ("Tips for de første ukene", _mail("Slik bestiller du vaskeritid og melder feil.")),
        "en": ("Tips for your first weeks", _mail("How to book the laundry and report a fault.")),
    },
    "survey": {
        "nb": (
            "Hvordan var innflyttingen?",
            _mail(
                "Svar på tre spørsmål om innflyttingen.",
                "Svar",
                "https://nordby.example/bolig/svar",
            ),
        ),
        "en": (
            "How was moving in?",
            _mail(
                "Answer three questions about moving in.",
                "Answer",
                "https://nordby.example/housing/survey",
            ),
        ),
    },
}


def _message(journey: Journey, key: str, name: str) -> int:
    campaign = services.new_message(journey, name=name, by=None)
    for language, (subject, body) in MESSAGES[key].items():
        save_content(
            Content(
                campaign=campaign, channel="email", language=language, subject=subject, body=body
            )
        )
    return campaign.pk


def _purpose(units: dict[str, OrgUnit]) -> Purpose:
    found = Purpose.objects.filter(slug="service-info").first()
    if found is not None:
        return found
    return purposes.save_purpose(
        Purpose(
            name="News about our services",
            slug="service-info",
            org_unit=units["nordby"],
            lawful_basis=LawfulBasis.LEGITIMATE_INTEREST,
            channels=["email", "sms"],
        ),
        by=None,
    )


def activation_definition(offer: int, reminder: int, last: int, thanks: int) -> dict[str, Any]:
    return {
        "entry": {"kind": "event", "event_type": "service.offered", "key": "service_id"},
        "reentry": {"policy": "never"},
        "goals": [{"event_type": "service.activated", "keyed": True, "then": "thanks"}],
        "start": "offer",
        "steps": {
            "offer": {"type": "send", "label": "Offer", "message": offer, "next": "wait"},
            "wait": {
                "type": "wait_event",
                "label": "Activated within 20 days?",
                "event_type": "service.activated",
                "keyed": True,
                "timeout": {"days": 20},
                "next": "done",
                "timeout_next": "reminder",
            },
            "reminder": {"type": "send", "label": "Reminder", "message": reminder, "next": "week"},
            "week": {"type": "wait", "label": "A week", "duration": {"days": 7}, "next": "last"},
            "last": {"type": "send", "label": "Last reminder", "message": last, "next": "done"},
            "thanks": {"type": "send", "label": "Thank you", "message": thanks, "next": "done"},
            "done": {"type": "end", "label": "Done"},
        },
    }


def welcome_definition(welcome: int, tips: int, survey: int) -> dict[str, Any]:
    return {
        "entry": {"kind": "event", "event_type": "housing.contract_signed", "key": "flat"},
        "reentry": {"policy": "always"},
        "hold": {"any_open_case": True},
        "start": "welcome",
        "steps": {
            "welcome": {
                "type": "send",
                "label": "Welcome",
                "message": welcome,
                "service": True,
                "next": "days3",
            },
            "days3": {
                "type": "wait",
                "label": "Three days",
                "duration": {"days": 3},
                "next": "read",
            },
            "read": {
                "type": "branch",
                "label": "Opened the welcome?",
                "all": [{"kind": "outcome", "step": "welcome", "outcome": "opened"}],
                "yes": "week1",
                "no": "call",
            },
            "call": {
                "type": "create_case",
                "label": "Call the new tenant",
                "queue": "housing",
                "subject": "Call a new tenant who has not read the welcome",
                "note": "Sent by the welcome journey: the welcome mail was not opened in 3 days.",
                "next": "week1",
            },
            "week1": {
                "type": "wait_until",
                "label": "Monday morning",
                "time": "09:00",
                "weekdays": [0],
                "next": "tips",
            },
            "tips": {"type": "send", "label": "Tips", "message": tips, "next": "week2"},
            "week2": {
                "type": "wait",
                "label": "Two weeks",
                "duration": {"days": 14},
                "business_days": False,
                "next": "survey",
            },
            "survey": {"type": "send", "label": "Survey", "message": survey, "next": "done"},
            "done": {"type": "end", "label": "Done"},
        },
    }


def load_journey_demo(units: dict[str, OrgUnit]) -> int:
    """Returns how many journeys were made (none when they exist)."""
    if Journey.objects.filter(name=ACTIVATION).exists():
        return 0
    purpose = _purpose(units)
    app = services.create_journey(
        name=ACTIVATION, org_unit=units["nordby"], purpose=purpose, by=None
    )
    ids = [
        _message(app, key, name)
        for key, name in [
            ("offer", "Offer"),
            ("reminder", "Reminder"),
            ("last", "Last reminder"),
            ("thanks", "Thank you"),
        ]
    ]
    services.save_draft(app, activation_definition(*ids), by=None)
    housing = Purpose.objects.filter(slug="housing-offers").first() or purpose
    welcome = services.create_journey(
        name=WELCOME, org_unit=units["housing"], purpose=housing, by=None
    )
    ids = [
        _message(welcome, key, name)
        for key, name in [("welcome", "Welcome"), ("tips", "Tips"), ("survey", "Survey")]
    ]
    services.save_draft(welcome, welcome_definition(*ids), by=None)
    services.activate(welcome, by=None)
    return 2
