"""The SLA report: per month, queue, agent, ... how many deadlines were met in time and
how many missed, over the queues the reader may see."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client

from luukku.core.models import Role, Team
from luukku.desk.models import Category, SlaEvent, Target
from luukku.desk.services import assign_case, classify_case, reply
from luukku.desk.sla_scheduler import take_due
from tests.desk.conftest import HELSINKI, Clock, Desk
from tests.desk.test_sla import new_case, policy
from tests.factories import PASSWORD, user_with

pytestmark = pytest.mark.django_db


def _month_of_work(desk: Desk, clock: Clock) -> None:
    """Three cases in December: kari answers one in time and one late (after the
    scheduler saw the breach); ola answers one late before the scheduler ran. One case
    in January, answered in time by ola."""
    policy(desk, first_response_minutes=60, resolution_minutes=None)
    rent = Category.objects.create(name="Rent", org_unit=desk.tree.housing)
    for who, late, seen_by_scheduler in (
        (desk.kari, False, False),
        (desk.kari, True, True),
        (desk.ola, True, False),
    ):
        case = new_case(desk)
        assign_case(case, to=who, by=who, version=None)
        classify_case(case, by=who, version=None, category_id=rent.pk)
        clock.move(minutes=90 if late else 30)
        if seen_by_scheduler:
            take_due()
        reply(case, by=who, text="Svar", version=None)
        clock.move(minutes=5)
    clock.set(dt.datetime(2027, 1, 12, 9, 0, tzinfo=HELSINKI))
    case = new_case(desk)
    assign_case(case, to=desk.ola, by=desk.ola, version=None)
    clock.move(minutes=10)
    reply(case, by=desk.ola, text="Svar", version=None)


def test_met_and_missed_per_month_and_per_agent(desk: Desk, clock: Clock) -> None:
    _month_of_work(desk, clock)
    # Every missed deadline has exactly one breach, however it was noticed.
    assert SlaEvent.objects.filter(kind="breached").count() == 2

    user_with(Role.ANALYST, desk.tree.housing, username="reader")
    client = Client()
    assert client.login(username="reader", password=PASSWORD)
    window = {"since": "2026-12-01", "until": "2027-01-31"}
    page = client.get("/desk/reports/sla/", {**window, "group": "month"}).content.decode()
    table = page[page.index('id="sla-report"') :]
    assert "December 2026</td>\n    <td>1</td><td>2</td>" in table
    assert "January 2027</td>\n    <td>1</td><td>0</td>" in table
    assert "50.0 per cent met: 2 of 4 deadlines." in page

    by_agent = client.get(
        "/desk/reports/sla/", {**window, "group": "agent", "target": Target.FIRST_RESPONSE}
    ).content.decode()
    assert "<td>kari</td>\n    <td>1</td><td>1</td>" in by_agent
    assert "<td>ola</td>\n    <td>1</td><td>1</td>" in by_agent

    team = Team.objects.create(org_unit=desk.tree.housing, name="Day shift")
    team.members.add(desk.kari)
    by_team = client.get("/desk/reports/sla/", {**window, "group": "team"}).content.decode()
    assert "<td>Day shift</td>\n    <td>1</td><td>1</td>" in by_team
    assert "<td>–</td>\n    <td>1</td><td>1</td>" in by_team  # ola is in no team

    csv = client.get("/desk/reports/sla/", {**window, "group": "category", "format": "csv"})
    assert csv["Content-Type"].startswith("text/csv")
    assert csv.content.decode().splitlines() == [
        "category,met,missed,percent_met",
        "Rent,1,2,33.3",
        ",1,0,100.0",
    ]


def test_health_staff_alone_see_the_health_queues_deadlines(desk: Desk, clock: Clock) -> None:
    _month_of_work(desk, clock)
    client = Client()
    assert client.login(username="nurse", password=PASSWORD)
    page = client.get(
        "/desk/reports/sla/", {"since": "2026-12-01", "until": "2027-01-31"}
    ).content.decode()
    assert "No deadline ended in this period." in page


def test_a_period_that_ends_before_it_starts_is_refused(desk: Desk) -> None:
    client = Client()
    assert client.login(username="kari", password=PASSWORD)
    page = client.get(
        "/desk/reports/sla/", {"since": "2027-02-01", "until": "2027-01-01", "group": "month"}
    ).content.decode()
    assert "The end comes before the start." in page
    assert client.get("/desk/reports/sla/", {"group": "planet"}).status_code == 200


def test_met_events_from_before_the_report_get_their_deadline_back(
    desk: Desk, clock: Clock
) -> None:
    import importlib

    from django.db import connection

    _month_of_work(desk, clock)
    kept = dict(SlaEvent.objects.filter(kind="met").values_list("pk", "due_at"))
    SlaEvent.objects.filter(kind="met").update(due_at=None)  # as written before
    fill = importlib.import_module("luukku.desk.migrations.0016_met_events_keep_their_deadline")
    with connection.cursor() as cursor:
        cursor.execute(fill.FILL)
    assert dict(SlaEvent.objects.filter(kind="met").values_list("pk", "due_at")) == kept
