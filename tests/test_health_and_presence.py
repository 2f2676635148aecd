from __future__ import annotations

import datetime

import pytest
from django.test import Client
from django.utils import timezone

from luukku.core.actions import people
from luukku.core.actions.presence import is_on_duty, mark_idle_users, record_activity
from luukku.core.models import Role, WorkerHeartbeat
from tests.conftest import Tree
from tests.factories import user_with

pytestmark = pytest.mark.django_db


@pytest.mark.smoke
def test_healthz_waits_for_a_worker() -> None:
    without = Client().get("/healthz")
    WorkerHeartbeat.objects.create(
        worker_id="w", hostname="h", pid=1, started_at=timezone.now(), seen_at=timezone.now()
    )
    with_worker = Client().get("/healthz")

    assert without.status_code == 503
    assert without.json()["checks"]["worker"] != "ok"
    assert with_worker.status_code == 200
    assert with_worker.json() == {
        "status": "ok",
        "checks": {"web": "ok", "database": "ok", "worker": "ok"},
    }


def test_idle_staff_drift_to_away_then_offline_and_come_back(tree: Tree) -> None:
    agent = user_with(Role.AGENT, tree.housing)
    now = timezone.now()
    agent.last_seen_at = now - datetime.timedelta(minutes=11)
    agent.save()

    mark_idle_users(now=now)
    agent.refresh_from_db()
    assert (agent.presence, agent.presence_is_automatic) == ("away", True)

    mark_idle_users(now=now + datetime.timedelta(hours=3))
    agent.refresh_from_db()
    assert agent.presence == "offline"

    record_activity(agent, now=now + datetime.timedelta(hours=3, minutes=1))
    agent.refresh_from_db()
    assert (agent.presence, agent.presence_is_automatic) == ("available", False)


def test_a_presence_chosen_by_hand_survives_idleness_and_activity(tree: Tree) -> None:
    now = timezone.now()
    on_call = user_with(Role.AGENT, tree.housing, presence="busy")
    in_meeting = user_with(Role.AGENT, tree.housing, presence="away")
    for user in (on_call, in_meeting):
        user.last_seen_at = now - datetime.timedelta(hours=3)
        user.save()

    mark_idle_users(now=now)
    record_activity(on_call, now=now)

    on_call.refresh_from_db()
    in_meeting.refresh_from_db()
    assert on_call.presence == "busy"
    assert in_meeting.presence == "away"


def test_on_duty_respects_working_hours_and_absences(tree: Tree) -> None:
    agent = user_with(Role.AGENT, tree.housing)
    oslo = datetime.timezone(datetime.timedelta(hours=1))
    people.set_working_hours(
        user=agent, intervals=[(0, datetime.time(8), datetime.time(16))], by=None
    )
    monday_ten = datetime.datetime(2026, 11, 30, 10, 0, tzinfo=oslo)
    monday_eve = datetime.datetime(2026, 11, 30, 18, 0, tzinfo=oslo)

    assert is_on_duty(agent, monday_ten, oslo)
    assert not is_on_duty(agent, monday_eve, oslo)
    people.add_absence(
        user=agent,
        kind="sick",
        starts_on=datetime.date(2026, 11, 30),
        ends_on=datetime.date(2026, 12, 1),
        by=None,
    )
    assert not is_on_duty(agent, monday_ten, oslo)


def test_an_absence_ending_before_it_starts_is_refused(tree: Tree) -> None:
    agent = user_with(Role.AGENT, tree.housing)
    client = Client()
    client.force_login(agent)

    response = client.post(
        f"/people/{agent.pk}/absences/",
        {"kind": "holiday", "starts_on": "2026-12-10", "ends_on": "2026-12-01"},
        follow=True,
    )

    assert agent.absences.count() == 0
    assert response.status_code == 200
