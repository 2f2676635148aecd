"""The desk API: queues with counts, cases, messages, and refused changes as problems."""

from __future__ import annotations

import json

import pytest

from luukku.desk.models import Case, Message
from tests.conftest import bearer
from tests.desk.conftest import Desk

pytestmark = pytest.mark.django_db


def post(client, url: str, body: dict):  # type: ignore[no-untyped-def]
    return client.post(url, data=json.dumps(body), content_type="application/json")


def patch(client, url: str, body: dict):  # type: ignore[no-untyped-def]
    return client.patch(url, data=json.dumps(body), content_type="application/json")


def test_an_integration_files_a_case_and_an_agent_answers_it(desk: Desk) -> None:
    created = post(
        bearer(desk.kari),
        "/api/v1/cases",
        {
            "queue": "housing",
            "subject": "Broken window",
            "text": "The kitchen window is cracked.",
            "person_id": desk.customer.pk,
        },
    )
    assert created.status_code == 201, created.content
    case = created.json()
    assert case["status"] == "new" and case["messages"][0]["direction"] == "inbound"

    agent = bearer(desk.ola)
    note = post(
        agent,
        f"/api/v1/cases/{case['number']}/messages",
        {"kind": "note", "text": "Glazier on Monday", "version": case["version"]},
    )
    replied = post(
        agent,
        f"/api/v1/cases/{case['number']}/messages",
        {"kind": "reply", "text": "A glazier comes Monday.", "version": case["version"] + 1},
    )
    assert (note.status_code, replied.status_code) == (201, 201)
    detail = agent.get(f"/api/v1/cases/{case['number']}").json()
    assert [m["direction"] for m in detail["messages"]] == ["inbound", "note", "outbound"]
    assert detail["status"] == "open"

    queues = agent.get("/api/v1/queues").json()
    assert queues == [
        {"slug": "housing", "name": "Housing", "org_unit": "housing", "counts": {"open": 1}}
    ]
    mine = agent.get("/api/v1/cases?queue=housing&open=true").json()["items"]
    assert [c["number"] for c in mine] == [case["number"]]


def test_a_stale_change_is_a_conflict_that_shows_what_happened(desk: Desk) -> None:
    number = post(bearer(desk.kari), "/api/v1/cases", {"queue": "housing", "subject": "Noise"})
    case = number.json()
    post(
        bearer(desk.ola),
        f"/api/v1/cases/{case['number']}/messages",
        {"kind": "note", "text": "Neighbour called too", "version": case["version"]},
    )

    late = post(
        bearer(desk.kari),
        f"/api/v1/cases/{case['number']}/messages",
        {"kind": "reply", "text": "We look into it", "version": case["version"]},
    )

    assert late.status_code == 409
    problem = late.json()
    assert problem["current_version"] == case["version"] + 1
    assert [(a["by"], a["change"]) for a in problem["activity"]] == [("ola", "note_added")]
    assert not Message.objects.filter(direction="outbound").exists()


def test_resolving_without_a_category_is_refused_then_done_with_one(desk: Desk) -> None:
    case = post(bearer(desk.kari), "/api/v1/cases", {"queue": "housing", "subject": "Leak"}).json()
    url = f"/api/v1/cases/{case['number']}"

    refused = patch(bearer(desk.kari), url, {"version": case["version"], "status": "resolved"})
    assert refused.status_code == 422 and "category" in refused.json()["detail"]

    done = patch(
        bearer(desk.kari),
        url,
        {
            "version": case["version"],
            "status": "resolved",
            "category_id": desk.repairs.pk,
            "assignee": "kari",
            "resolution_note": "Sealed the pipe",
        },
    )
    assert done.status_code == 200, done.content
    assert (done.json()["status"], done.json()["assignee"]) == ("resolved", "kari")
    assert Case.objects.get(number=case["number"]).resolution_note == "Sealed the pipe"


def test_cases_of_another_unit_are_not_found_and_unknown_fields_are_refused(
    desk: Desk,
) -> None:
    health = post(bearer(desk.nurse), "/api/v1/cases", {"queue": "health", "subject": "Rash"})
    assert health.status_code == 201
    number = health.json()["number"]

    assert bearer(desk.kari).get(f"/api/v1/cases/{number}").status_code == 404
    assert bearer(desk.kari).get("/api/v1/cases").json()["items"] == []
    assert (
        post(bearer(desk.kari), "/api/v1/cases", {"queue": "health", "subject": "x"}).status_code
        == 404
    )
    analyst = post(bearer(desk.analyst), "/api/v1/cases", {"queue": "housing", "subject": "Hi"})
    assert analyst.status_code == 403
    unknown = post(
        bearer(desk.kari), "/api/v1/cases", {"queue": "housing", "subject": "x", "colour": "red"}
    )
    assert unknown.status_code == 422
