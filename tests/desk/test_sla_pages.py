"""SLA policies set up on the desk setup page; deadlines shown in lists, on the case
and in the API."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client

from luukku.core.models import AuditEntry, Role
from luukku.desk.models import Case, SlaPolicy, Target
from luukku.desk.services import NewMessage, open_case
from luukku.desk.sla_policies import save_policy
from tests.conftest import bearer
from tests.desk.conftest import Desk
from tests.factories import PASSWORD, user_with

pytestmark = pytest.mark.django_db


def _login(username: str) -> Client:
    client = Client()
    assert client.login(username=username, password=PASSWORD)
    return client


def _case(desk: Desk, subject: str, **kwargs: object) -> Case:
    return open_case(
        queue=desk.housing,
        subject=subject,
        by=None,
        channel="email",
        person=desk.customer,
        first=NewMessage(text="Hello", sender="aino@example.test"),
        **kwargs,  # type: ignore[arg-type]
    )


def test_an_administrator_sets_a_policy_up_and_bad_conditions_are_refused(
    desk: Desk, django_capture_on_commit_callbacks: object
) -> None:
    user_with(Role.ADMINISTRATOR, desk.tree.housing, username="sup")
    sup = _login("sup")
    form = {
        "name": "Urgent housing",
        "org_unit": desk.tree.housing.pk,
        "position": "10",
        "is_active": "on",
        "first_response_minutes": "30",
        "resolution_minutes": "480",
        "warn_at_percent": "75",
        "priority": ["urgent", "high"],
        "category": [desk.repairs.pk],
    }
    assert sup.post("/desk/setup/sla/new/", form).status_code == 302
    policy = SlaPolicy.objects.get(name="Urgent housing")
    assert policy.conditions == {"priority": ["urgent", "high"], "category": [desk.repairs.pk]}
    assert AuditEntry.objects.filter(object_type="desk.slapolicy", action="create").exists()
    page = sup.get("/desk/setup/").content.decode()
    assert "Urgent housing" in page

    refused = sup.post(
        f"/desk/setup/sla/{policy.pk}/",
        {**form, "first_response_minutes": "", "resolution_minutes": ""},
    )
    assert "Give the policy at least one target." in refused.content.decode()
    refused = sup.post(f"/desk/setup/sla/{policy.pk}/", {**form, "warn_at_percent": "120"})
    assert "Warn when 1 to 99 percent of the time has passed." in refused.content.decode()
    policy.refresh_from_db()
    assert policy.warn_at_percent == 75

    agent = _login("kari")
    assert agent.get("/desk/setup/sla/new/").status_code == 403


def test_deadlines_show_in_the_queue_sorted_due_soonest_on_the_case_and_in_the_api(
    desk: Desk,
) -> None:
    save_policy(
        SlaPolicy(
            name="Standard",
            org_unit=desk.tree.housing,
            first_response_minutes=240,
            resolution_minutes=2400,
        ),
        by=None,
    )
    save_policy(
        SlaPolicy(
            name="Urgent",
            org_unit=desk.tree.housing,
            position=1,
            first_response_minutes=15,
            conditions={"priority": ["urgent"]},
        ),
        by=None,
    )
    calm = _case(desk, "A question about rent")
    urgent = _case(desk, "Water in the stairwell", priority="urgent")
    late = _case(desk, "Broken window")
    late.sla_clocks.update(due_at=late.created_at - dt.timedelta(minutes=5))
    Case.objects.filter(pk=late.pk).update(sla_due_at=late.created_at - dt.timedelta(minutes=5))

    agent = _login("kari")
    page = agent.get("/desk/queues/housing/", {"sort": "due"}).content.decode()
    order = [page.index(s) for s in ("Broken window", "Water in the stairwell", "A question")]
    assert order == sorted(order)
    assert "Overdue" in page

    case_page = agent.get(f"/desk/cases/{urgent.number}/").content.decode()
    assert "Service level" in case_page
    assert "First response</strong>: 14 min left" in case_page or (
        "First response</strong>: 15 min left" in case_page
    )

    detail = bearer(desk.kari).get(f"/api/v1/cases/{calm.number}").json()
    targets = {c["target"]: c for c in detail["sla"]}
    assert set(targets) == {Target.FIRST_RESPONSE, Target.RESOLUTION}
    assert targets["first_response"]["policy"] == "Standard"
    assert targets["first_response"]["state"] == "running"
    assert detail["sla_due_at"] == targets["first_response"]["due_at"]


def test_escalation_steps_are_added_and_removed_on_the_policy_page(desk: Desk) -> None:
    user_with(Role.ADMINISTRATOR, desk.tree.housing, username="sup")
    sup = _login("sup")
    policy = save_policy(
        SlaPolicy(name="Standard", org_unit=desk.tree.housing, first_response_minutes=60),
        by=None,
    )
    added = sup.post(
        f"/desk/setup/sla/{policy.pk}/steps/",
        {
            "on": "breached",
            "notify_supervisors": "on",
            "notify_users": [desk.ola.pk],
            "by_sms": "on",
            "raise_priority": "on",
        },
    )
    assert added.status_code == 302
    step = policy.escalations.get()
    assert step.on == "breached" and step.by_sms and not step.notify_assignee
    assert list(step.notify_users.all()) == [desk.ola]
    page = sup.get(f"/desk/setup/sla/{policy.pk}/").content.decode()
    assert "On breach" in page and "raise the priority" in page
    sup.post(f"/desk/setup/sla/{policy.pk}/steps/{step.pk}/remove/")
    assert not policy.escalations.exists()
    assert AuditEntry.objects.filter(object_type="desk.escalationstep").count() == 2
