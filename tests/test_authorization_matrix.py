"""Every API endpoint against anonymous, wrong role, wrong org unit, right role.

Targets live in Housing North, below Housing, so rights held in Housing must
reach down the tree while rights held in Health must not reach across it.
Refusals must leave everything as it was.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from django.test import Client

from luukku.core.models import Absence, AuditEntry, OrgUnit, Role, Team, User, WorkingHours
from tests.conftest import Tree, bearer
from tests.factories import TeamFactory, user_with

pytestmark = pytest.mark.django_db


@dataclass
class World:
    tree: Tree
    kari: User  # agent in Housing North: the subject of user endpoints
    team: Team  # team in Housing North
    actors: dict[str, User | None]


@pytest.fixture
def world(tree: Tree) -> World:
    kari = user_with(Role.AGENT, tree.housing_north, username="kari")
    team = TeamFactory(org_unit=tree.housing_north, name="North desk", members=[kari])
    actors: dict[str, User | None] = {
        "anonymous": None,
        "agent_housing": user_with(Role.AGENT, tree.housing),
        "agent_health": user_with(Role.AGENT, tree.health),
        "supervisor_housing": user_with(Role.SUPERVISOR, tree.housing),
        "supervisor_health": user_with(Role.SUPERVISOR, tree.health),
        "admin_housing": user_with(Role.ADMINISTRATOR, tree.housing),
        "admin_health": user_with(Role.ADMINISTRATOR, tree.health),
        "kari": kari,
    }
    return World(tree=tree, kari=kari, team=team, actors=actors)


@dataclass(frozen=True)
class Endpoint:
    method: str
    url: Callable[[World], str]
    body: Callable[[World], dict[str, Any]] | None
    allowed: dict[str, int]  # actor -> expected success status; everyone else is refused

    def call(self, client: Client, world: World) -> Any:
        kwargs: dict[str, Any] = {}
        if self.body is not None:
            kwargs = {"data": json.dumps(self.body(world)), "content_type": "application/json"}
        return getattr(client, self.method.lower())(self.url(world), **kwargs)


ALL_STAFF = {
    name: 200
    for name in (
        "agent_housing",
        "agent_health",
        "supervisor_housing",
        "supervisor_health",
        "admin_housing",
        "admin_health",
        "kari",
    )
}
HOUSING_STAFF = {
    name: 200 for name in ("agent_housing", "supervisor_housing", "admin_housing", "kari")
}

ENDPOINTS = {
    "list org units": Endpoint("GET", lambda w: "/api/v1/org-units", None, ALL_STAFF),
    "get org unit": Endpoint(
        "GET", lambda w: f"/api/v1/org-units/{w.tree.housing_north.pk}", None, HOUSING_STAFF
    ),
    "create org unit": Endpoint(
        "POST",
        lambda w: "/api/v1/org-units",
        lambda w: {"name": "Housing East", "slug": "east", "parent_id": w.tree.housing.pk},
        {"admin_housing": 201},
    ),
    "update org unit": Endpoint(
        "PATCH",
        lambda w: f"/api/v1/org-units/{w.tree.housing_north.pk}",
        lambda w: {"name": "Housing Nord"},
        {"admin_housing": 200},
    ),
    "list users": Endpoint("GET", lambda w: "/api/v1/users", None, ALL_STAFF),
    "me": Endpoint("GET", lambda w: "/api/v1/users/me", None, ALL_STAFF),
    "get user": Endpoint("GET", lambda w: f"/api/v1/users/{w.kari.pk}", None, HOUSING_STAFF),
    "create user": Endpoint(
        "POST",
        lambda w: "/api/v1/users",
        lambda w: {
            "username": "newbie",
            "email": "newbie@example.test",
            "memberships": [{"org_unit_id": w.tree.housing_north.pk, "role": "agent"}],
        },
        {"admin_housing": 201},
    ),
    "update user": Endpoint(
        "PATCH",
        lambda w: f"/api/v1/users/{w.kari.pk}",
        lambda w: {"first_name": "Karianne"},
        {"admin_housing": 200},
    ),
    "list teams": Endpoint("GET", lambda w: "/api/v1/teams", None, ALL_STAFF),
    "get team": Endpoint("GET", lambda w: f"/api/v1/teams/{w.team.pk}", None, HOUSING_STAFF),
    "create team": Endpoint(
        "POST",
        lambda w: "/api/v1/teams",
        lambda w: {"name": "North evening", "org_unit_id": w.tree.housing_north.pk},
        {"supervisor_housing": 201, "admin_housing": 201},
    ),
    "update team": Endpoint(
        "PATCH",
        lambda w: f"/api/v1/teams/{w.team.pk}",
        lambda w: {"name": "North day desk"},
        {"supervisor_housing": 200, "admin_housing": 200},
    ),
    "list presence": Endpoint("GET", lambda w: "/api/v1/presence", None, ALL_STAFF),
    "set presence": Endpoint(
        "PUT",
        lambda w: f"/api/v1/users/{w.kari.pk}/presence",
        lambda w: {"presence": "busy"},
        {"supervisor_housing": 200, "admin_housing": 200, "kari": 200},
    ),
    "get working hours": Endpoint(
        "GET", lambda w: f"/api/v1/users/{w.kari.pk}/working-hours", None, HOUSING_STAFF
    ),
    "set working hours": Endpoint(
        "PUT",
        lambda w: f"/api/v1/users/{w.kari.pk}/working-hours",
        lambda w: {"intervals": [{"weekday": 0, "starts": "08:00", "ends": "12:00"}]},
        {"supervisor_housing": 200, "admin_housing": 200, "kari": 200},
    ),
    "list absences": Endpoint(
        "GET", lambda w: f"/api/v1/users/{w.kari.pk}/absences", None, HOUSING_STAFF
    ),
    "add absence": Endpoint(
        "POST",
        lambda w: f"/api/v1/users/{w.kari.pk}/absences",
        lambda w: {"kind": "holiday", "starts_on": "2026-12-21", "ends_on": "2026-12-31"},
        {"supervisor_housing": 201, "admin_housing": 201, "kari": 201},
    ),
    "delete team": Endpoint(
        "DELETE",
        lambda w: f"/api/v1/teams/{w.team.pk}",
        None,
        {"supervisor_housing": 204, "admin_housing": 204},
    ),
}

ACTORS = [
    "anonymous",
    "agent_housing",
    "agent_health",
    "supervisor_housing",
    "supervisor_health",
    "admin_housing",
    "admin_health",
    "kari",
]


def _state(world: World) -> tuple[Any, ...]:
    """What a refused request must not change."""
    return (
        AuditEntry.objects.count(),
        list(OrgUnit.objects.values_list("pk", "name", "path").order_by("pk")),
        list(User.objects.values_list("pk", "first_name", "presence").order_by("pk")),
        list(Team.objects.values_list("pk", "name").order_by("pk")),
        list(WorkingHours.objects.values_list("user", "weekday", "starts", "ends")),
        list(Absence.objects.values_list("user", "starts_on", "ends_on")),
    )


@pytest.mark.parametrize("actor", ACTORS)
@pytest.mark.parametrize("endpoint_name", list(ENDPOINTS))
def test_authorization_matrix(world: World, endpoint_name: str, actor: str) -> None:
    endpoint = ENDPOINTS[endpoint_name]
    user = world.actors[actor]
    client = Client() if user is None else bearer(user)
    before = _state(world)

    response = endpoint.call(client, world)

    if actor in endpoint.allowed:
        assert response.status_code == endpoint.allowed[actor], response.content
        return
    expected = 401 if user is None else 403
    assert response.status_code == expected, response.content
    assert response["Content-Type"] == "application/problem+json"
    problem = response.json()
    assert problem["status"] == expected
    assert problem["detail"]
    assert _state(world) == before, "a refused request changed something"


def test_lists_show_only_what_the_actor_may_see(world: World) -> None:
    health_agent = world.actors["agent_health"]
    assert health_agent is not None
    client = bearer(health_agent)

    units = [u["slug"] for u in client.get("/api/v1/org-units").json()["items"]]
    users = [u["username"] for u in client.get("/api/v1/users").json()["items"]]
    teams = client.get("/api/v1/teams").json()["items"]

    assert units == ["health"]
    assert "kari" not in users
    assert health_agent.username in users
    assert teams == []


def test_housing_rights_reach_down_the_tree(world: World) -> None:
    supervisor = world.actors["supervisor_housing"]
    assert supervisor is not None

    response = bearer(supervisor).get(
        "/api/v1/presence", {"org_unit_id": world.tree.housing_north.pk}
    )

    assert response.status_code == 200
    assert [row["username"] for row in response.json()] == ["kari"]


def test_a_unit_admin_cannot_manage_someone_whose_roles_reach_beyond_the_unit(
    world: World,
) -> None:
    """The organization admin also helps out in Housing North: the Housing admin sees
    them there, but may not change their details, presence or schedule."""
    org_admin = user_with(Role.ADMINISTRATOR, world.tree.root, username="boss")
    from luukku.core.actions import people

    people.grant_role(user=org_admin, org_unit=world.tree.housing_north, role=Role.AGENT, by=None)
    housing_admin = world.actors["admin_housing"]
    supervisor = world.actors["supervisor_housing"]
    assert housing_admin is not None and supervisor is not None
    as_admin, as_supervisor = bearer(housing_admin), bearer(supervisor)
    before = _state(world)

    patched = as_admin.patch(
        f"/api/v1/users/{org_admin.pk}",
        data=json.dumps({"email": "attacker@example.test"}),
        content_type="application/json",
    )
    absence = as_supervisor.post(
        f"/api/v1/users/{org_admin.pk}/absences",
        data=json.dumps({"kind": "holiday", "starts_on": "2026-12-01", "ends_on": "2026-12-02"}),
        content_type="application/json",
    )
    seen = as_admin.get(f"/api/v1/users/{org_admin.pk}")

    assert patched.status_code == 403
    assert absence.status_code == 403
    assert seen.status_code == 200
    assert _state(world) == before


def test_a_unit_admin_cannot_manage_a_superuser(world: World) -> None:
    from luukku.core.actions import people

    root = User.objects.create_superuser("root", "root@example.test", "x")
    people.grant_role(user=root, org_unit=world.tree.housing_north, role=Role.AGENT, by=None)
    housing_admin = world.actors["admin_housing"]
    assert housing_admin is not None

    response = bearer(housing_admin).patch(
        f"/api/v1/users/{root.pk}",
        data=json.dumps({"is_active": False}),
        content_type="application/json",
    )

    assert response.status_code == 403
    root.refresh_from_db()
    assert root.is_active
