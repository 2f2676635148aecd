"""Administrators set the desk up: queues, a category tree per unit, statuses of their own
that agents then give cases, from the case page and the API."""

from __future__ import annotations

import pytest
from django.test import Client

from luukku.core.models import Role
from luukku.desk.models import Case, CaseStatus, Category, Queue
from luukku.desk.services import open_case
from tests.conftest import bearer
from tests.desk.conftest import Desk
from tests.factories import PASSWORD, user_with

pytestmark = pytest.mark.django_db


def _login(username: str) -> Client:
    client = Client()
    assert client.login(username=username, password=PASSWORD)
    return client


def test_a_unit_administrator_adds_a_queue_and_a_category_tree_of_their_unit(desk: Desk) -> None:
    user_with(Role.ADMINISTRATOR, desk.tree.housing, username="sup")
    sup = _login("sup")

    created = sup.post(
        "/desk/setup/queues/new/",
        {
            "name": "Keys",
            "slug": "keys",
            "org_unit": desk.tree.housing.pk,
            "sensitivity": "normal",
            "is_active": "on",
        },
    )
    assert created.status_code == 302
    assert Queue.objects.get(slug="keys").org_unit == desk.tree.housing
    other_unit = sup.post(
        "/desk/setup/queues/new/",
        {
            "name": "Pills",
            "slug": "pills",
            "org_unit": desk.tree.health.pk,
            "sensitivity": "normal",
        },
    )
    assert "Select a valid choice" in other_unit.content.decode()

    sup.post(
        "/desk/setup/categories/new/",
        {"name": "Water", "org_unit": desk.tree.housing.pk, "parent": desk.repairs.pk},
    )
    water = Category.objects.get(name="Water")
    assert water.parent == desk.repairs
    loop = sup.post(
        f"/desk/setup/categories/{desk.repairs.pk}/",
        {"name": "Repairs", "org_unit": desk.tree.housing.pk, "parent": water.pk},
    )
    assert "A category cannot sit below itself." in loop.content.decode()
    page = sup.get("/desk/setup/").content.decode()
    assert page.index(">Repairs<") < page.index(">Water<")
    assert (
        f'<span class="muted">› </span><a href="/desk/setup/categories/{water.pk}/">Water' in page
    )

    assert sup.get("/desk/setup/statuses/new/").status_code == 403  # the organization's


def test_an_administrators_status_is_given_from_the_case_page_and_the_api(desk: Desk) -> None:
    user_with(Role.ADMINISTRATOR, desk.tree.root, username="boss")
    _login("boss").post(
        "/desk/setup/statuses/new/",
        {"name": "Waiting for spare part", "category": "pending_third_party"},
    )
    spare = CaseStatus.objects.get()
    case = open_case(queue=desk.housing, subject="Oven", by=None)
    kari = _login("kari")
    kari.get(f"/desk/cases/{case.number}/")
    case.refresh_from_db()

    kari.post(
        f"/desk/cases/{case.number}/update/",
        {"version": case.version, "status": f"custom:{spare.pk}", "priority": case.priority},
    )

    case.refresh_from_db()
    assert (case.status, case.status_shown) == ("pending_third_party", "Waiting for spare part")
    assert (
        f'value="custom:{spare.pk}" selected'
        in kari.get(f"/desk/cases/{case.number}/").content.decode()
    )

    api = bearer(desk.kari)
    changed = api.patch(
        f"/api/v1/cases/{case.number}",
        {"version": case.version, "status": "open"},
        content_type="application/json",
    )
    assert changed.json()["status_shown"] == "Open"
    back = api.patch(
        f"/api/v1/cases/{case.number}",
        {"version": changed.json()["version"], "custom_status": "Waiting for spare part"},
        content_type="application/json",
    )
    assert back.json()["status_shown"] == "Waiting for spare part"
    unknown = api.patch(
        f"/api/v1/cases/{case.number}",
        {"version": back.json()["version"], "custom_status": "Nope"},
        content_type="application/json",
    )
    assert unknown.status_code == 422
    assert Case.objects.get(pk=case.pk).custom_status == spare
