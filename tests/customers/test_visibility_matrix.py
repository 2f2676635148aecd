"""Who sees and changes which customer data: normal data is shared, restricted data
(the health service's) only with the staff of its unit — not with organization-wide
roles, and not with a sub-unit of Health either."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from luukku.core.actions import org as org_actions
from luukku.core.models import AuditEntry, Role, User
from luukku.customers.actions.parties import create_party
from luukku.customers.actions.relationships import create_relationship
from luukku.customers.actions.timeline import append_event
from luukku.customers.models import Event, Person, Relationship, RelationshipType
from tests.conftest import bearer
from tests.customers.conftest import Setup
from tests.factories import user_with

pytestmark = pytest.mark.django_db


@dataclass
class World:
    setup: Setup
    shared: Person  # normal, with restricted health entries
    patient: Person  # restricted to Health
    actors: dict[str, User | None]


@pytest.fixture
def world(setup: Setup) -> World:
    tree = setup.tree
    psychology = org_actions.create_org_unit(
        organization=tree.root.organization,
        name="Psychology",
        slug="psych",
        parent=tree.health,
        by=None,
    )
    shared = create_party(
        Person,
        values={"first_name": "Siri", "last_name": "Shared"},
        custom={"student_status": "active", "diagnosis_group": "B"},
        org_unit=tree.housing,
        by=None,
    ).party
    patient = create_party(
        Person,
        values={"first_name": "Per", "last_name": "Patient"},
        org_unit=tree.health,
        sensitivity="restricted",
        by=None,
    ).party
    assert isinstance(shared, Person) and isinstance(patient, Person)
    append_event(shared, type="health.appointment", org_unit=tree.health, sensitivity="restricted")
    append_event(shared, type="housing.contract_signed", org_unit=tree.housing)
    create_relationship(
        type=RelationshipType.objects.get(code="guardian_of"),
        person=patient,
        other=shared,
        org_unit=tree.health,
        sensitivity="restricted",
        by=None,
    )
    actors: dict[str, User | None] = {
        "anonymous": None,
        "housing_agent": setup.housing_agent,
        "health_agent": setup.health_agent,
        "field_worker": setup.field_worker,
        "psychologist": user_with(Role.AGENT, psychology, username="psy"),
        "org_marketer": user_with(Role.MARKETER, tree.root, username="mkt"),
        "org_admin": setup.admin,
    }
    return World(setup=setup, shared=shared, patient=patient, actors=actors)


@dataclass(frozen=True)
class Endpoint:
    method: str
    url: Callable[[World], str]
    body: Callable[[World], dict[str, Any]] | None
    allowed: dict[str, int]


STAFF = [
    "housing_agent",
    "health_agent",
    "field_worker",
    "psychologist",
    "org_marketer",
    "org_admin",
]
EDITORS = ["housing_agent", "health_agent", "psychologist", "org_admin"]

ENDPOINTS = {
    "read shared person": Endpoint(
        "GET", lambda w: f"/api/v1/persons/{w.shared.pk}", None, dict.fromkeys(STAFF, 200)
    ),
    "read patient": Endpoint(
        "GET", lambda w: f"/api/v1/persons/{w.patient.pk}", None, {"health_agent": 200}
    ),
    "patient timeline": Endpoint(
        "GET", lambda w: f"/api/v1/persons/{w.patient.pk}/events", None, {"health_agent": 200}
    ),
    "edit shared person": Endpoint(
        "PATCH",
        lambda w: f"/api/v1/persons/{w.shared.pk}",
        lambda w: {"preferred_language": "nb"},
        dict.fromkeys(EDITORS, 200),
    ),
    "edit patient": Endpoint(
        "PATCH",
        lambda w: f"/api/v1/persons/{w.patient.pk}",
        lambda w: {"preferred_language": "nb"},
        {"health_agent": 200},
    ),
    "create restricted health person": Endpoint(
        "POST",
        lambda w: "/api/v1/persons",
        lambda w: {
            "last_name": "New",
            "org_unit_id": w.setup.tree.health.pk,
            "sensitivity": "restricted",
        },
        {"health_agent": 201},
    ),
    "relate patient": Endpoint(
        "POST",
        lambda w: "/api/v1/relationships",
        lambda w: {
            "type": "guardian_of",
            "person_id": w.patient.pk,
            "other_person_id": w.shared.pk,
            "org_unit_id": w.setup.tree.health.pk,
            "sensitivity": "restricted",
        },
        {"health_agent": 201},
    ),
}


def _state() -> tuple[Any, ...]:
    return (
        list(Person.objects.values_list("pk", "preferred_language").order_by("pk")),
        Relationship.objects.count(),
        AuditEntry.objects.exclude(action="view").exclude(action="token").count(),
    )


@pytest.mark.parametrize("actor", ["anonymous", *STAFF])
@pytest.mark.parametrize("name", list(ENDPOINTS))
def test_customer_visibility_matrix(world: World, name: str, actor: str) -> None:
    endpoint = ENDPOINTS[name]
    user = world.actors[actor]
    client = Client() if user is None else bearer(user)
    before = _state()
    kwargs: dict[str, Any] = {}
    if endpoint.body:
        kwargs = {"data": json.dumps(endpoint.body(world)), "content_type": "application/json"}

    response = getattr(client, endpoint.method.lower())(endpoint.url(world), **kwargs)

    if actor in endpoint.allowed:
        assert response.status_code == endpoint.allowed[actor], response.content
        return
    assert response.status_code == (401 if user is None else 403), response.content
    assert _state() == before


@pytest.mark.parametrize(
    ("actor", "sees_restricted"),
    [
        ("health_agent", True),
        ("housing_agent", False),
        ("psychologist", False),
        ("org_marketer", False),
        ("org_admin", False),
    ],
)
def test_restricted_parts_of_a_shared_profile(
    world: World, actor: str, sees_restricted: bool
) -> None:
    user = world.actors[actor]
    assert user is not None
    client = bearer(user)

    profile = client.get(f"/api/v1/persons/{world.shared.pk}").json()
    listed = [p["id"] for p in client.get("/api/v1/persons").json()["items"]]
    relationships = client.get("/api/v1/relationships", {"person_id": world.shared.pk}).json()[
        "items"
    ]

    types = {e["type"] for e in profile["timeline"]}
    assert "housing.contract_signed" in types
    assert ("health.appointment" in types) is sees_restricted
    assert ("diagnosis_group" in profile["custom"]) is sees_restricted
    assert profile["custom"]["student_status"] == "active"
    assert bool(profile["relationships"]) is sees_restricted
    assert bool(relationships) is sees_restricted
    assert (world.patient.pk in listed) is sees_restricted


def test_a_restricted_event_can_be_written_by_an_integration_but_not_read_back(
    world: World,
) -> None:
    admin = world.actors["org_admin"]
    assert admin is not None
    client = bearer(admin)
    line = {
        "person": {"id": world.shared.pk},
        "type": "health.prescription",
        "org_unit": "health",
        "sensitivity": "restricted",
        "occurred_at": timezone.now().isoformat(),
    }

    result = client.post("/api/v1/events", data=json.dumps(line), content_type="application/json")
    timeline = client.get(f"/api/v1/persons/{world.shared.pk}/events").json()["items"]

    assert result.status_code == 201
    assert Event.objects.filter(type="health.prescription").exists()
    assert "health.prescription" not in {e["type"] for e in timeline}
