"""Each kind of step doing what a user would see: a field set, a static segment joined,
a case opened in a queue, a signed webhook queued, a branch on a segment, a split
that keeps its shares; a paused journey holding everyone in place; marketing held
while a complaint is open; a batch that fails leaving nothing half done."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone

from luukku.campaigns.models import Delivery
from luukku.core.models import WebhookDelivery, WebhookEndpoint
from luukku.customers.models import Event
from luukku.desk.models import Case, Category
from luukku.desk.services import change_status, classify_case, open_case
from luukku.journeys import services, store
from luukku.journeys.models import Enrolment, Journey
from luukku.journeys.scheduler import advance_all_due
from luukku.segments import membership
from luukku.segments.models import Membership, Segment
from tests.factories import user_with
from tests.journeys.conftest import post
from tests.segments.conftest import People

pytestmark = pytest.mark.django_db(transaction=True)


def draft(people: People) -> Journey:
    return services.create_journey(
        name="Test", org_unit=people.tree.root, purpose=people.news, by=None
    )


def journey(
    people: People, steps: dict[str, Any], made: Journey | None = None, **extra: Any
) -> Journey:
    made = made or draft(people)
    services.save_draft(
        made,
        {
            "entry": {"kind": "event", "event_type": "test.start"},
            "start": next(iter(steps)),
            "steps": steps,
            **extra,
        },
        by=None,
    )
    return services.activate(made, by=None)


def test_field_segment_case_and_webhook_steps_change_what_they_name(people: People) -> None:
    vip = Segment.objects.create(name="VIP", slug="vip", org_unit=people.tree.root, kind="static")
    endpoint = WebhookEndpoint.objects.create(
        url="http://127.0.0.1:9/hook", secret="s3cret", events=["*"], org_unit=people.tree.root
    )
    journey(
        people,
        {
            "lang": {
                "type": "update_field",
                "field": "preferred_language",
                "value": "fi",
                "next": "join",
            },
            "join": {"type": "segment_add", "segment": "vip", "next": "call"},
            "call": {
                "type": "create_case",
                "queue": "housing",
                "subject": "Call the customer",
                "note": "From the journey",
                "priority": "high",
                "next": "hook",
            },
            "hook": {"type": "webhook", "endpoint": endpoint.pk, "next": "done"},
            "done": {"type": "end"},
        },
    )
    post(people.anna, "test.start", timezone.now())

    people.anna.refresh_from_db()
    assert people.anna.preferred_language == "fi"
    assert Membership.objects.filter(segment=vip, person=people.anna).exists()
    case = Case.objects.get(person=people.anna, subject="Call the customer")
    assert (case.queue.slug, case.priority) == ("housing", "high")
    assert case.messages.get().body_text == "From the journey"
    hook = WebhookDelivery.objects.get(endpoint=endpoint, event="journey.step")
    assert hook.payload["person_id"] == people.anna.pk
    assert Enrolment.objects.get(person=people.anna).status == "completed"


def test_a_branch_on_a_segment_and_a_split_that_keeps_its_shares(people: People) -> None:
    oslo = Segment.objects.create(
        name="Oslo", slug="oslo", org_unit=people.tree.root, kind="static"
    )
    membership.add_static(oslo, [people.anna.pk])
    journey(
        people,
        {
            "where": {
                "type": "branch",
                "all": [{"kind": "segment", "segment": "oslo"}],
                "yes": "split",
                "no": "done",
            },
            "split": {
                "type": "split",
                "paths": [
                    {"percent": 30, "label": "A", "next": "done"},
                    {"percent": 70, "label": "B", "next": "done"},
                ],
            },
            "done": {"type": "end"},
        },
        reentry={"policy": "always"},
    )
    post(people.anna, "test.start", timezone.now())
    post(people.bjorn, "test.start", timezone.now())
    ways = dict(
        Event.objects.filter(type="journey.step", payload__step="where").values_list(
            "person_id", "payload__way"
        )
    )
    assert ways == {people.anna.pk: "yes", people.bjorn.pk: "no"}

    from luukku.journeys.engine import State, _roll

    shares = [_roll(State(id=n, person_id=1, step="split")) < 30 for n in range(2000)]
    assert 0.26 < sum(shares) / len(shares) < 0.34


def test_a_paused_journey_holds_everyone_and_resumes_without_sending_twice(
    people: People, demo: dict[str, Journey]
) -> None:
    activation = demo["activation"]
    now = timezone.now()
    post(people.anna, "service.offered", now, service_id="S1")
    services.set_status(activation, Journey.Status.PAUSED, by=None)

    assert advance_all_due(now=now + dt.timedelta(days=21)) == 0  # paused: nobody moves
    post(people.bjorn, "service.offered", now, service_id="S9")  # nobody enters either
    assert not Enrolment.objects.filter(person=people.bjorn).exists()
    post(people.anna, "service.activated", now, service_id="S1")  # heard, acted on later
    assert Delivery.objects.filter(person=people.anna).count() == 1

    services.set_status(activation, Journey.Status.ACTIVE, by=None)
    advance_all_due(now=now + dt.timedelta(days=21))
    advance_all_due(now=now + dt.timedelta(days=22))
    names = list(
        Delivery.objects.filter(person=people.anna)
        .order_by("pk")
        .values_list("run__campaign__name", flat=True)
    )
    assert [n.split(": ")[1] for n in names] == ["Offer", "Thank you"]


def test_marketing_waits_while_a_complaint_is_open_and_the_wait_is_shown(people: People) -> None:
    complaints = Category.objects.create(name="Complaints", org_unit=people.tree.housing)
    made = draft(people)
    message = services.new_message(made, name="m", by=None)
    _content(message)
    journey(
        people,
        {
            "hello": {"type": "send", "message": message.pk, "next": "done"},
            "done": {"type": "end"},
        },
        made,
        hold={"categories": [complaints.pk]},
    )
    agent = user_with("agent", people.tree.housing, username="agent")
    case = open_case(queue=people.housing, subject="Mould", by=None, person=people.anna)
    case = classify_case(case, category_id=complaints.pk, by=agent, version=None)

    now = timezone.now()
    post(people.anna, "test.start", now)
    enrolment = Enrolment.objects.get(person=people.anna)
    assert enrolment.held_since is not None
    assert enrolment.held_reason == f"#{case.number} (Complaints)"  # never the subject
    assert not Delivery.objects.filter(person=people.anna).exists()

    change_status(case, to="resolved", by=agent, version=None)  # heard: looked at again
    from luukku.journeys.reactions import hear_events

    hear_events.call()
    enrolment.refresh_from_db()
    assert enrolment.status == "completed" and enrolment.held_since is None
    assert Delivery.objects.filter(person=people.anna).count() == 1
    resumed = Event.objects.get(person=people.anna, type="journey.step", payload__way="resumed")
    assert resumed.payload["held_seconds"] >= 0


def test_a_batch_that_fails_is_rolled_back_whole_and_taken_again(
    people: People, demo: dict[str, Journey], monkeypatch: pytest.MonkeyPatch
) -> None:
    now = timezone.now()
    post(people.anna, "service.offered", now, service_id="S1")
    real = store.write_events
    calls = {"n": 0}

    def dies_once(events: list[Any]) -> None:
        calls["n"] += 1
        if calls["n"] == 1:
            raise RuntimeError("the database went away")
        real(events)

    monkeypatch.setattr(store, "write_events", dies_once)
    later = now + dt.timedelta(days=20, minutes=1)
    assert advance_all_due(now=later) == 0  # the batch failed: left for the next run
    assert Delivery.objects.filter(person=people.anna).count() == 1  # nothing half done
    assert Enrolment.objects.get(person=people.anna).step == "wait"
    advance_all_due(now=later)
    assert Delivery.objects.filter(person=people.anna).count() == 2
    assert Enrolment.objects.get(person=people.anna).step == "week"


def test_one_persons_failing_step_stays_theirs_and_is_tried_again(people: People) -> None:
    from luukku.customers.models import CustomField

    CustomField.objects.create(
        entity="person", key="level", label="Level", kind="choice", choices=["gold", "silver"]
    )
    made = journey(
        people,
        {
            "set": {
                "type": "update_field",
                "field": "custom:level",
                "value": "gold",
                "next": "done",
            },
            "done": {"type": "end"},
        },
    )
    # The choice is taken away after activation: the step now fails for everyone it meets.
    CustomField.objects.filter(key="level").update(choices=["silver"])
    post(people.anna, "test.start", timezone.now())
    failed = Enrolment.objects.get(journey=made, person=people.anna)
    assert failed.status == "active" and failed.step == "set"
    assert "Unknown choice" in failed.error
    assert failed.due_at is not None and failed.due_at > timezone.now() + dt.timedelta(minutes=50)
    CustomField.objects.filter(key="level").update(choices=["gold", "silver"])
    advance_all_due(now=timezone.now() + dt.timedelta(hours=2))
    failed.refresh_from_db()
    assert failed.status == "completed"


def test_an_awaited_event_moves_the_person_on_at_once(people: People) -> None:
    journey(
        people,
        {
            "pay": {
                "type": "wait_event",
                "event_type": "test.paid",
                "timeout": {"days": 1},
                "next": "thanks",
                "timeout_next": "nag",
            },
            "thanks": {"type": "end", "label": "Thanks"},
            "nag": {"type": "end", "label": "Nag"},
        },
    )
    post(people.anna, "test.start", timezone.now())
    post(people.anna, "test.paid", timezone.now())
    enrolment = Enrolment.objects.get(person=people.anna)
    assert (enrolment.status, enrolment.step) == ("completed", "thanks")
    arrived = Event.objects.get(person=people.anna, type="journey.step", payload__way="arrived")
    assert arrived.payload["event"] == "test.paid"


def test_an_exit_is_on_the_timeline_and_counted(people: People) -> None:
    from luukku.journeys.statistics import figures

    made = journey(
        people,
        {"a": {"type": "wait", "duration": {"days": 3}, "next": None}},
        exits=[{"kind": "event", "event_type": "test.stop"}],
    )
    post(people.anna, "test.start", timezone.now())
    post(people.anna, "test.stop", timezone.now())
    exited = Event.objects.get(person=people.anna, type="journey.exited")
    assert exited.payload["reason"] == "test.stop"
    assert figures(made).totals["exited"] == 1


def test_a_split_without_names_keeps_its_shares(people: People) -> None:
    from luukku.journeys import definition as d
    from luukku.journeys.engine import State, _act

    step = d.parse(
        {
            "steps": {
                "s": {
                    "type": "split",
                    "paths": [{"percent": 50, "next": "a"}, {"percent": 50, "next": "b"}],
                }
            }
        }
    ).steps["s"]
    ways = [
        _act(d.Definition(), State(id=n, person_id=1, step="s"), step, None, None)[0]  # type: ignore[arg-type]
        for n in range(1000)
    ]
    assert 400 < ways.count("1: 50%") < 600 and 400 < ways.count("2: 50%") < 600


def test_an_event_for_a_person_that_is_gone_is_reported_and_the_rest_heard(
    people: People, demo: dict[str, Journey], caplog: pytest.LogCaptureFixture
) -> None:
    from luukku.journeys.models import Inbox
    from luukku.journeys.reactions import hear_events

    Inbox.objects.create(
        person_id=999_999,
        type="service.offered",
        occurred_at=timezone.now(),
        payload={"service_id": "S1"},
    )
    post(people.anna, "service.offered", timezone.now(), service_id="S1")
    hear_events.call()
    assert Enrolment.objects.filter(person=people.anna).exists()
    assert not Inbox.objects.exists()
    assert "unknown person 999999" in caplog.text


def _content(message: Any) -> None:
    from luukku.campaigns.models import Content
    from luukku.campaigns.services import save_content

    save_content(
        Content(
            campaign=message,
            channel="email",
            language="nb",
            subject="Hei",
            body="<mjml><mj-body><mj-section><mj-column><mj-text>Hei</mj-text>"
            "</mj-column></mj-section></mj-body></mjml>",
        )
    )
