"""Moving a case to another queue: it takes the new queue's unit, lets go of what does
not belong there, and both queues see it; all or nothing through the API."""

from __future__ import annotations

import pytest
from django.test import Client

from luukku.core.models import Role
from luukku.desk.models import Case, HistoryEntry, Queue, QueueChange
from luukku.desk.services import CaseError, NewMessage, assign_case, move_case, open_case
from tests.conftest import bearer
from tests.desk.conftest import Desk
from tests.desk.test_api import patch
from tests.factories import PASSWORD, user_with

pytestmark = pytest.mark.django_db


def _case(desk: Desk) -> Case:
    case = open_case(
        queue=desk.housing,
        subject="Legekontor?",
        by=None,
        category=desk.repairs,
        first=NewMessage(text="Jeg trenger time hos legen.", sender="aino@example.test"),
    )
    return assign_case(case, to=desk.kari, by=desk.kari, version=None)


def test_a_case_moved_to_health_leaves_its_category_and_assignee_behind(desk: Desk) -> None:
    case = _case(desk)
    QueueChange.objects.all().delete()
    moved = move_case(case, to=desk.health, by=desk.kari, version=case.version)
    moved.refresh_from_db()
    assert (moved.queue, moved.org_unit, moved.sensitivity) == (
        desk.health,
        desk.tree.health,
        "restricted",
    )
    assert moved.category is None and moved.assignee is None  # kari may not work health
    entry = HistoryEntry.objects.get(case=moved, kind="moved")
    assert entry.details["queue"] == ["Housing", "Health"]
    assert entry.details["category"] == ["Repairs", ""] and entry.details["assignee"] == [
        "kari",
        "",
    ]
    told = set(QueueChange.objects.values_list("queue_id", flat=True))
    assert told == {desk.housing.pk, desk.health.pk}  # both open queue pages update

    # The nurse sees it now; kari does not.
    client = Client()
    assert client.login(username="nurse", password=PASSWORD)
    assert client.get(f"/desk/cases/{case.number}/").status_code == 200
    assert client.login(username="kari", password=PASSWORD)
    assert client.get(f"/desk/cases/{case.number}/").status_code == 404


def test_moving_from_the_case_page_and_refusals(desk: Desk) -> None:
    case = _case(desk)
    client = Client()
    assert client.login(username="kari", password=PASSWORD)
    page = client.get(f"/desk/cases/{case.number}/").content.decode()
    assert 'id="move-to"' in page and '<option value="health">' in page
    gone = client.post(
        f"/desk/cases/{case.number}/move/", {"queue": "health", "version": case.version}
    )
    assert gone.url == "/desk/"  # no longer hers to see
    desk.housing.is_active = False
    desk.housing.save()
    with pytest.raises(CaseError, match="closed"):
        move_case(Case.objects.get(pk=case.pk), to=desk.housing, by=desk.nurse, version=None)
    assert client.login(username="analyst", password=PASSWORD)  # may see, not work
    refused = client.post(f"/desk/cases/{case.number}/move/", {"queue": "housing"})
    assert refused.status_code == 404


def test_through_the_api_a_move_and_the_changes_after_it_are_all_or_nothing(
    desk: Desk,
) -> None:
    user_with(Role.AGENT, desk.tree.root, username="reception")
    case = _case(desk)
    url = f"/api/v1/cases/{case.number}"
    api = bearer(desk.kari)
    unknown = patch(api, url, {"version": case.version, "queue": "nowhere"})
    assert unknown.status_code in (400, 409, 422) and "nowhere" in unknown.content.decode()
    half = patch(api, url, {"version": case.version, "queue": "health", "status": "resolved"})
    assert half.status_code in (400, 409, 422)
    assert Case.objects.get(pk=case.pk).queue == desk.housing  # the move undone too

    Queue.objects.create(name="North", slug="north", org_unit=desk.tree.housing_north)
    reception = bearer(desk.tree.root.memberships.get().user)
    done = patch(reception, url, {"version": case.version, "queue": "north", "priority": "high"})
    assert done.status_code == 200, done.content
    body = done.json()
    assert body["queue"] == "north" and body["priority"] == "high"
    # Moved where the mover may not see it: the answer shows the case as it left.
    gone = patch(api, url, {"version": body["version"], "queue": "health"})
    assert gone.status_code == 200 and gone.json()["queue"] == "health"
