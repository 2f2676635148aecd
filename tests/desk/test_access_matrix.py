"""Every desk endpoint against anonymous, a viewer, another unit's agent and the right agent.
A refusal changes nothing."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client

from luukku.desk.models import Case, HistoryEntry, Message
from luukku.desk.services import NewMessage, open_case
from tests.conftest import bearer
from tests.desk.conftest import Desk

pytestmark = pytest.mark.django_db

# endpoint: (method, path, body); {n} is the housing case's number
ENDPOINTS: dict[str, tuple[str, str, dict[str, Any] | None]] = {
    "list queues": ("get", "/api/v1/queues", None),
    "list cases": ("get", "/api/v1/cases", None),
    "read case": ("get", "/api/v1/cases/{n}", None),
    "open case": ("post", "/api/v1/cases", {"queue": "housing", "subject": "Hello"}),
    "change case": ("patch", "/api/v1/cases/{n}", {"version": 1, "priority": "high"}),
    "reply": ("post", "/api/v1/cases/{n}/messages", {"kind": "reply", "text": "Hi", "version": 1}),
    "note": ("post", "/api/v1/cases/{n}/messages", {"kind": "note", "text": "Hm", "version": 1}),
}

# actor: expected status per endpoint (lists answer 200 with only what the actor may see)
EXPECTED = {
    "anonymous": dict.fromkeys(ENDPOINTS, 401),
    "analyst": {
        "list queues": 200,
        "list cases": 200,
        "read case": 200,
        "open case": 403,
        "change case": 403,
        "reply": 403,
        "note": 403,
    },
    "nurse": {
        "list queues": 200,
        "list cases": 200,
        "read case": 404,
        "open case": 404,
        "change case": 404,
        "reply": 404,
        "note": 404,
    },
    "kari": {
        "list queues": 200,
        "list cases": 200,
        "read case": 200,
        "open case": 201,
        "change case": 200,
        "reply": 201,
        "note": 201,
    },
}


def _state() -> tuple[int, int, int, list[int]]:
    return (
        Case.objects.count(),
        Message.objects.count(),
        HistoryEntry.objects.count(),
        list(Case.objects.order_by("pk").values_list("version", flat=True)),
    )


@pytest.mark.parametrize("endpoint", list(ENDPOINTS))
@pytest.mark.parametrize("actor", list(EXPECTED))
def test_desk_authorization_matrix(desk: Desk, endpoint: str, actor: str) -> None:
    case = open_case(queue=desk.housing, subject="Leak", by=None, first=NewMessage(text="Water"))
    method, path, body = ENDPOINTS[endpoint]
    client = Client() if actor == "anonymous" else bearer(getattr(desk, actor))
    before = _state()

    response = getattr(client, method)(
        path.format(n=case.number),
        **({"data": json.dumps(body), "content_type": "application/json"} if body else {}),
    )

    assert response.status_code == EXPECTED[actor][endpoint], response.content
    if response.status_code >= 400:
        assert _state() == before
    if endpoint == "list cases" and actor == "nurse":
        assert response.json()["items"] == []
    if endpoint == "list queues" and actor == "nurse":
        assert [q["slug"] for q in response.json()] == ["health"]
