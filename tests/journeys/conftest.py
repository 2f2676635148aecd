from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from luukku.customers.actions.timeline import NewEvent, append_events
from luukku.customers.models import Person
from luukku.journeys.demo import ACTIVATION, WELCOME, load_journey_demo
from luukku.journeys.models import Journey
from luukku.journeys.reactions import forget_interests, hear_events
from luukku.journeys.services import activate
from tests.segments.conftest import People, people  # noqa: F401 (a fixture)


@pytest.fixture(autouse=True)
def _fresh_interests() -> None:
    forget_interests()


@pytest.fixture
def demo(people: People) -> dict[str, Journey]:  # noqa: F811
    load_journey_demo({"nordby": people.tree.root, "housing": people.tree.housing})
    activate(Journey.objects.get(name=ACTIVATION), by=None)  # shipped as a draft
    return {
        "activation": Journey.objects.get(name=ACTIVATION),
        "welcome": Journey.objects.get(name=WELCOME),
    }


def post(person: Person, type: str, at: dt.datetime, **payload: Any) -> None:
    """An event from a source system, then heard as the reaction job would."""
    append_events(
        [NewEvent(person_id=person.pk, type=type, occurred_at=at, source="bank", payload=payload)]
    )
    hear_events.call()
