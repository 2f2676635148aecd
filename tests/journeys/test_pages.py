"""The journey pages a marketer uses: the list, the diagram with who is where, the
editor's step forms and settings, activation refused with the step and the reason, the
dry run's plan, and the person's journeys on their profile."""

from __future__ import annotations

import pytest
from django.test import Client
from django.utils import timezone

from luukku.core.models import Role
from luukku.journeys.models import Journey, Version
from tests.factories import user_with
from tests.journeys.conftest import post
from tests.segments.conftest import People

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def marketer(people: People) -> Client:
    client = Client()
    client.force_login(user_with(Role.MARKETER, people.tree.root, username="mira"))
    return client


def test_the_diagram_shows_each_step_and_who_waits_there(
    people: People, demo: dict[str, Journey], marketer: Client
) -> None:
    journey = demo["activation"]
    post(people.anna, "service.offered", timezone.now(), service_id="S1")
    listing = marketer.get("/journeys/").content.decode()
    assert "Activate the Nordby app" in listing and "Welcome to your new home" in listing

    page = marketer.get(f"/journeys/{journey.pk}/").content.decode()
    assert page.count('class="step step-') == 7
    assert 'data-step="wait"' in page
    assert "1 here · 0 passed" in page  # Anna waits for the activation
    assert "timeout" in page and "arrived" in page  # the two ways out, as arrows
    assert "Anna Test" in page
    assert "Entered per day" in page and "<rect" in page  # the funnel drawn


def test_editing_makes_a_draft_that_activation_checks_first(
    people: People, demo: dict[str, Journey], marketer: Client
) -> None:
    journey = demo["activation"]
    added = marketer.post(
        f"/journeys/{journey.pk}/steps/new/", {"step_id": "survey", "type": "wait_event"}
    )
    assert added.status_code == 302 and added["Location"].endswith("/steps/survey/")
    form = marketer.get(added["Location"]).content.decode()
    assert 'name="event_type"' in form and 'name="timeout_next"' in form

    saved = marketer.post(
        f"/journeys/{journey.pk}/steps/survey/",
        {
            "label": "Answered?",
            "event_type": "survey.answered",
            "match": "",
            "days": "",
            "hours": "",
            "minutes": "",
            "next": "done",
            "timeout_next": "done",
        },
    )
    assert saved.status_code == 302  # a draft may be unfinished; activation checks it
    draft = Version.objects.get(journey=journey, number=2)
    assert draft.activated_at is None and "survey" in draft.definition["steps"]

    detail = marketer.get(f"/journeys/{journey.pk}/").content.decode()
    assert "Version 2 is a draft" in detail
    assert "survey</strong>: A wait for an event needs a timeout." in detail
    assert "survey</strong>: No way leads to this step." in detail
    refused = marketer.post(f"/journeys/{journey.pk}/activate/", follow=True)
    assert "A wait for an event needs a timeout." in refused.content.decode()
    journey.refresh_from_db()
    assert journey.current is not None and journey.current.number == 1

    bad = marketer.post(f"/journeys/{journey.pk}/edit/", {"definition": "{not json"})
    assert "Not JSON" in bad.content.decode()


def test_the_settings_form_sets_the_entry_and_the_goal(
    people: People, demo: dict[str, Journey], marketer: Client
) -> None:
    journey = demo["activation"]
    page = marketer.get(f"/journeys/{journey.pk}/edit/").content.decode()
    assert 'value="service.offered"' in page
    marketer.post(
        f"/journeys/{journey.pk}/edit/",
        {
            "entry": "event",
            "event_type": "service.offered",
            "match": "plan = gold",
            "key": "service_id",
            "reentry": "after_days",
            "reentry_days": "30",
            "goal_event": "service.activated",
            "goal_keyed": "on",
            "goal_then": "thanks",
            "exit_consent": "on",
        },
    )
    definition = Version.objects.get(journey=journey, number=2).definition
    assert definition["entry"]["match"] == {"plan": "gold"}
    assert definition["reentry"] == {"policy": "after_days", "days": 30}
    assert definition["exits"] == [
        {"kind": "consent_withdrawn", "event_type": "", "match": {}, "segment": ""}
    ]


def test_the_dry_run_page_shows_the_plan(
    people: People, demo: dict[str, Journey], marketer: Client
) -> None:
    journey = demo["activation"]
    page = marketer.post(
        f"/journeys/{journey.pk}/dry-run/",
        {
            "person": str(people.anna.pk),
            "entry": "service_id = S1",
            "events": "2 service.activated service_id = S1",
        },
    ).content.decode()
    assert "Goal reached" in page
    assert 'data-step="thanks"' in page
    assert 'data-step="reminder"' not in page

    broken = marketer.post(
        f"/journeys/{journey.pk}/dry-run/", {"events": "soon service.activated"}
    ).content.decode()
    assert "Line 1: start with the days after the start (0 to 400)." in broken


def test_the_profile_shows_the_persons_journeys_and_time_held(
    people: People, demo: dict[str, Journey], marketer: Client
) -> None:
    post(people.anna, "service.offered", timezone.now(), service_id="S1")
    page = marketer.get(f"/customers/persons/{people.anna.pk}/").content.decode()
    assert 'id="journeys-panel"' in page
    assert "Activate the Nordby app" in page and "S1" in page


def test_the_journeys_stay_out_of_reach_of_staff_without_the_right(
    people: People, demo: dict[str, Journey]
) -> None:
    client = Client()
    client.force_login(user_with(Role.AGENT, people.tree.root, username="agent"))
    assert client.get("/journeys/").status_code == 403
    assert client.get(f"/journeys/{demo['activation'].pk}/").status_code == 403
    post(people.anna, "service.offered", timezone.now(), service_id="S1")
    page = client.get(f"/customers/persons/{people.anna.pk}/").content.decode()
    assert 'id="journeys-panel"' not in page
