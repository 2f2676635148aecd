from __future__ import annotations

import pytest
from django.db import connection

from luukku.customers.actions.contacts import ContactChanges
from luukku.customers.actions.parties import create_party
from luukku.customers.models import Organization, Person
from luukku.customers.search import search
from tests.customers.conftest import Setup

pytestmark = pytest.mark.django_db


@pytest.fixture
def people(setup: Setup) -> dict[str, Person]:
    def make(first: str, last: str, **kw):  # type: ignore[no-untyped-def]
        return create_party(
            Person, values={"first_name": first, "last_name": last}, by=None, **kw
        ).party

    return {
        "kari": make(
            "Kari",
            "Nordmann",
            contacts=ContactChanges(
                emails=[{"address": "kari.nordmann@example.test"}],
                phones=[{"number": "412 34 567"}],
            ),
        ),
        "karin": make("Karin", "Lindqvist", identity=(setup.sis, "S-4242", {})),
        "marius": make("Marius", "Nordby"),
        "secret": make("Kari", "Hemmelig", org_unit=setup.tree.health, sensitivity="restricted"),
    }


def names(hits: list) -> list[str]:  # type: ignore[type-arg]
    return [h.name for h in hits]


def test_find_by_phone_in_any_format(setup: Setup, people) -> None:  # type: ignore[no-untyped-def]
    for typed in ("41234567", "+47 412 34 567", "0047-412-34-567", "412 34 567"):
        hits = search(setup.housing_agent, typed)
        assert names(hits)[:1] == ["Kari Nordmann"], typed
        assert hits[0].matched == "phone"


def test_find_by_email_and_external_id(setup: Setup, people) -> None:  # type: ignore[no-untyped-def]
    assert names(search(setup.housing_agent, "Kari.Nordmann@example.test")) == ["Kari Nordmann"]
    assert names(search(setup.housing_agent, "S-4242")) == ["Karin Lindqvist"]


def test_find_by_name_ranks_the_closest_first(setup: Setup, people) -> None:  # type: ignore[no-untyped-def]
    hits = names(search(setup.housing_agent, "kari nordmann"))

    assert hits[0] == "Kari Nordmann"


@pytest.mark.skipif(connection.vendor != "postgresql", reason="typo tolerance uses pg_trgm")
def test_a_typo_still_finds_the_person(setup: Setup, people) -> None:  # type: ignore[no-untyped-def]
    assert "Kari Nordmann" in names(search(setup.housing_agent, "Kari Nordman"))
    assert "Karin Lindqvist" in names(search(setup.housing_agent, "Lindkvist"))


def test_restricted_persons_are_found_only_by_their_unit(setup: Setup, people) -> None:  # type: ignore[no-untyped-def]
    assert "Kari Hemmelig" not in names(search(setup.housing_agent, "Hemmelig"))
    assert "Kari Hemmelig" in names(search(setup.health_agent, "Hemmelig"))


def test_organizations_are_found_too(setup: Setup, people) -> None:  # type: ignore[no-untyped-def]
    create_party(Organization, values={"name": "Nordby Kommune", "kind": "agency"}, by=None)

    hits = search(setup.housing_agent, "Nordby")

    assert {(h.kind, h.name) for h in hits} >= {
        ("organization", "Nordby Kommune"),
        ("person", "Marius Nordby"),
    }
