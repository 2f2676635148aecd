"""Working hours, absences and teams as a supervisor keeps them."""

from __future__ import annotations

import datetime
import json

import pytest
from django.test import Client

from luukku.core.models import AuditEntry, Role, Team
from tests.conftest import Tree, bearer
from tests.factories import TeamFactory, user_with

pytestmark = pytest.mark.django_db


def put_hours(client: Client, user_id: int, intervals: list[dict[str, object]]):  # type: ignore[no-untyped-def]
    return client.put(
        f"/api/v1/users/{user_id}/working-hours",
        data=json.dumps({"intervals": intervals}),
        content_type="application/json",
    )


def test_a_supervisor_sets_a_split_shift(tree: Tree) -> None:
    supervisor = user_with(Role.SUPERVISOR, tree.housing)
    kari = user_with(Role.AGENT, tree.housing_north)

    response = put_hours(
        bearer(supervisor),
        kari.pk,
        [
            {"weekday": 0, "starts": "12:00", "ends": "16:00"},
            {"weekday": 0, "starts": "07:30", "ends": "11:00"},
        ],
    )

    assert response.status_code == 200
    assert response.json() == [
        {"weekday": 0, "starts": "07:30:00", "ends": "11:00:00"},
        {"weekday": 0, "starts": "12:00:00", "ends": "16:00:00"},
    ]
    entry = AuditEntry.objects.filter(
        object_type="core.user", object_id=str(kari.pk), action="update"
    ).first()
    assert entry is not None and entry.actor == supervisor
    assert entry.changes["working_hours"][1] == ["0:07:30-11:00", "0:12:00-16:00"]


@pytest.mark.parametrize(
    ("intervals", "reason"),
    [
        (
            [
                {"weekday": 2, "starts": "08:00", "ends": "12:00"},
                {"weekday": 2, "starts": "11:00", "ends": "15:00"},
            ],
            "overlap",
        ),
        ([{"weekday": 2, "starts": "16:00", "ends": "08:00"}], "end after"),
    ],
)
def test_bad_working_hours_are_refused_and_the_old_week_stays(
    tree: Tree, intervals: list[dict[str, object]], reason: str
) -> None:
    kari = user_with(Role.AGENT, tree.housing)
    client = bearer(kari)
    put_hours(client, kari.pk, [{"weekday": 4, "starts": "09:00", "ends": "15:00"}])

    response = put_hours(client, kari.pk, intervals)

    assert response.status_code == 422
    assert reason in json.dumps(response.json())
    assert list(kari.working_hours.values_list("weekday", flat=True)) == [4]


def test_an_unknown_weekday_is_a_field_error(tree: Tree) -> None:
    kari = user_with(Role.AGENT, tree.housing)

    response = put_hours(
        bearer(kari), kari.pk, [{"weekday": 7, "starts": "09:00", "ends": "10:00"}]
    )

    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "intervals.0.weekday"


def test_working_hours_in_the_ui(tree: Tree) -> None:
    kari = user_with(Role.AGENT, tree.housing)
    client = Client()
    client.force_login(kari)

    client.post(
        f"/people/{kari.pk}/working-hours/",
        {
            "d0_0_starts": "08:00",
            "d0_0_ends": "16:00",
            "d4_0_starts": "08:00",
            "d4_0_ends": "14:00",
        },
    )
    page = client.get(f"/people/{kari.pk}/").content.decode()
    half = client.post(f"/people/{kari.pk}/working-hours/", {"d1_0_starts": "08:00"}, follow=True)

    assert list(kari.working_hours.values_list("weekday", "ends")) == [
        (0, datetime.time(16)),
        (4, datetime.time(14)),
    ]
    assert 'value="16:00"' in page
    assert "Give both a start and an end time." in half.content.decode()
    assert kari.working_hours.count() == 2


def test_absence_through_the_api_and_its_validation(tree: Tree) -> None:
    kari = user_with(Role.AGENT, tree.housing)
    client = bearer(kari)

    good = client.post(
        f"/api/v1/users/{kari.pk}/absences",
        data=json.dumps({"kind": "sick", "starts_on": "2026-12-01", "ends_on": "2026-12-02"}),
        content_type="application/json",
    )
    bad = client.post(
        f"/api/v1/users/{kari.pk}/absences",
        data=json.dumps({"kind": "sick", "starts_on": "2026-12-05", "ends_on": "2026-12-02"}),
        content_type="application/json",
    )

    assert good.status_code == 201
    assert bad.status_code == 422
    assert [a["kind"] for a in client.get(f"/api/v1/users/{kari.pk}/absences").json()] == ["sick"]


def test_a_supervisor_deletes_a_team_and_the_log_remembers_it(tree: Tree) -> None:
    supervisor = user_with(Role.SUPERVISOR, tree.housing)
    team = TeamFactory(org_unit=tree.housing, name="Evening desk", members=[supervisor])
    client = Client()
    client.force_login(supervisor)

    client.post(f"/teams/{team.pk}/delete/")

    assert not Team.objects.filter(pk=team.pk).exists()
    entry = AuditEntry.objects.get(object_type="core.team", action="delete")
    assert entry.changes["name"] == ["Evening desk", None]


def test_the_roles_page_shows_what_each_role_may_do(tree: Tree) -> None:
    client = Client()
    client.force_login(user_with(Role.AGENT, tree.housing))

    page = client.get("/roles/").content.decode()

    assert "Create staff and grant roles" in page
    assert page.count("✔") > 10
