from __future__ import annotations

from dataclasses import dataclass

import pytest

from luukku.consent.models import LawfulBasis, Purpose
from luukku.consent.purposes import publish_text, save_purpose
from luukku.core.models import Role, User
from luukku.customers.actions.contacts import ContactChanges
from luukku.customers.actions.parties import create_party
from luukku.customers.models import Person
from tests.conftest import Tree
from tests.factories import user_with
from tests.sms_provider import sms_provider  # noqa: F401 (a fixture for these tests)
from tests.test_staff_email_smtp import smtp_server  # noqa: F401 (a fixture for these tests)


@dataclass
class World:
    tree: Tree
    newsletter: Purpose  # consent, email and SMS
    offers: Purpose  # legitimate interest, email
    notices: Purpose  # legal obligation, letter and email
    ingrid: Person  # nb, with an email address and a mobile number
    marketer: User
    agent: User


@pytest.fixture
def world(tree: Tree) -> World:
    newsletter = save_purpose(
        Purpose(
            name="Fitness newsletter",
            slug="fitness-news",
            org_unit=tree.housing,
            lawful_basis=LawfulBasis.CONSENT,
            channels=["email", "sms"],
        ),
        by=None,
    )
    publish_text(
        newsletter,
        language="nb",
        title="Nyhetsbrev fra treningssenteret",
        body="Timeplaner og tilbud, en gang i måneden.",
        by=None,
    )
    publish_text(
        newsletter,
        language="en",
        title="Fitness newsletter",
        body="Class timetables and offers, once a month.",
        by=None,
    )
    offers = save_purpose(
        Purpose(
            name="Housing offers",
            slug="housing-offers",
            org_unit=tree.housing,
            lawful_basis=LawfulBasis.LEGITIMATE_INTEREST,
            channels=["email"],
        ),
        by=None,
    )
    notices = save_purpose(
        Purpose(
            name="Rent notices",
            slug="rent-notices",
            org_unit=tree.housing,
            lawful_basis=LawfulBasis.LEGAL_OBLIGATION,
            channels=["email", "letter"],
        ),
        by=None,
    )
    ingrid = create_party(
        Person,
        values={"first_name": "Ingrid", "last_name": "Haugen", "preferred_language": "nb"},
        contacts=ContactChanges(
            emails=[{"address": "ingrid@example.test"}], phones=[{"number": "+4791234567"}]
        ),
        by=None,
    ).party
    return World(
        tree=tree,
        newsletter=newsletter,
        offers=offers,
        notices=notices,
        ingrid=ingrid,
        marketer=user_with(Role.MARKETER, tree.root, username="maria"),
        agent=user_with(Role.AGENT, tree.housing, username="kari"),
    )
