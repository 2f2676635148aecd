"""The journeys API as an integration uses it: the offer posted as an event, the plan
seen in a dry run, the activation posted and the thank-you at the SMTP server at once,
no reminder ever; a broken definition refused with the step and the reason."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from luukku.core.models import Role
from luukku.journeys.models import Enrolment, Journey
from luukku.journeys.scheduler import advance_all_due
from tests.campaigns.test_sending import Sink, sink  # noqa: F401 (a fixture)
from tests.conftest import bearer
from tests.factories import user_with
from tests.segments.conftest import People
from tests.test_jobs import run_due_jobs

pytestmark = pytest.mark.django_db(transaction=True)


def post_json(client: Client, path: str, body: Any) -> Any:
    return client.post(path, data=json.dumps(body), content_type="application/json")


def event(person_id: int, type: str, **payload: Any) -> dict[str, Any]:
    return {
        "person": {"id": person_id},
        "type": type,
        "occurred_at": timezone.now().isoformat(),
        "source": "bank",
        "payload": payload,
    }


@pytest.fixture
def marketer(people: People) -> Client:
    return bearer(user_with(Role.MARKETER, people.tree.root, username="journeys"))


@pytest.fixture
def integration(people: People) -> Client:
    return bearer(user_with(Role.ADMINISTRATOR, people.tree.root, username="bank"))


def test_offer_dry_run_and_activation_through_the_api(
    people: People,
    demo: dict[str, Journey],
    marketer: Client,
    integration: Client,
    sink: Sink,  # noqa: F811
) -> None:
    journey = demo["activation"]
    anna = people.anna.pk
    offered = post_json(
        integration, "/api/v1/events", event(anna, "service.offered", service_id="A-7")
    )
    assert offered.status_code == 201
    run_due_jobs()  # the reaction job, then the send job
    assert [m[2]["Subject"] for m in sink.messages] == ["Nordby-appen er klar for deg"]

    plan = post_json(
        marketer,
        f"/api/v1/journeys/{journey.pk}/dry-run",
        {
            "person_id": anna,
            "entry": {"service_id": "A-7"},
            "events": [
                {"after": "P2D", "type": "service.activated", "payload": {"service_id": "A-7"}}
            ],
        },
    )
    assert plan.status_code == 200, plan.content
    lines = [(line["step"], line["type"], line["way"]) for line in plan.json()]
    assert ("offer", "send", "next") in lines
    assert ("", "goal", "service.activated") in lines
    assert ("thanks", "send", "next") in lines
    assert not any(step in ("reminder", "last") for step, _type, _way in lines)
    assert lines[-1] == ("", "ended", "goal")

    activated = post_json(
        integration, "/api/v1/events", event(anna, "service.activated", service_id="A-7")
    )
    assert activated.status_code == 201
    run_due_jobs()
    subjects = [m[2]["Subject"] for m in sink.messages]
    assert subjects == ["Nordby-appen er klar for deg", "Takk for at du aktiverte appen"]
    assert Enrolment.objects.get(person_id=anna).status == "goal"

    advance_all_due(now=timezone.now() + dt.timedelta(days=40))
    run_due_jobs()
    assert len(sink.messages) == 2  # no reminder, ever

    listed = marketer.get(f"/api/v1/journeys/{journey.pk}/enrolments?status=goal").json()
    assert [row["person_id"] for row in listed["items"]] == [anna]
    figures = marketer.get(f"/api/v1/journeys/{journey.pk}/figures").json()
    assert figures["totals"]["goal"] == 1
    assert figures["steps"]["offer"]["ways"] == {"next": 1}


def test_activation_is_refused_with_the_step_and_the_reason(
    people: People, marketer: Client
) -> None:
    made = post_json(
        marketer,
        "/api/v1/journeys",
        {"name": "Loopy", "org_unit": "root", "purpose": "news"},
    ).json()
    message = post_json(
        marketer, f"/api/v1/journeys/{made['id']}/messages", {"name": "Hello"}
    ).json()
    definition = {
        "start": "a",
        "steps": {
            "a": {"type": "send", "message": message["id"], "next": "b"},
            "b": {
                "type": "branch",
                "all": [{"kind": "field", "field": "first_name", "op": "exists"}],
                "yes": "a",
                "no": "c",
            },
            "c": {"type": "wait_event", "event_type": "x.happened", "next": "gone"},
            "orphan": {"type": "end"},
        },
    }
    saved = marketer.put(
        f"/api/v1/journeys/{made['id']}/definition",
        data=json.dumps({"definition": definition}),
        content_type="application/json",
    )
    assert saved.status_code == 200
    refused = post_json(marketer, f"/api/v1/journeys/{made['id']}/activate", {})
    assert refused.status_code == 422
    detail = refused.json()["detail"]
    assert "c: The way “arrived” leads to no step gone." in detail
    assert "c: A wait for an event needs a timeout." in detail
    assert "orphan: No way leads to this step." in detail
    assert "A loop without a wait: a → b" in detail
    assert "a: Write the email content in the default language (nb)." in detail

    malformed = marketer.put(
        f"/api/v1/journeys/{made['id']}/definition",
        data=json.dumps({"definition": {"steps": {"a": {"type": "teleport"}}}}),
        content_type="application/json",
    )
    assert malformed.status_code == 422
    assert "steps.a" in malformed.json()["detail"]
