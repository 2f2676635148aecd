"""The activation program run for real: an offer when the service is offered, a thank-you
the moment it is activated (and no reminder ever), reminders after 20 and 27 days when
it is not; each step on the person's timeline and in the outbox exactly once."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from luukku.campaigns.models import Delivery
from luukku.customers.models import Event
from luukku.journeys.models import Enrolment, Journey, Stat
from luukku.journeys.scheduler import advance_all_due
from tests.journeys.conftest import post
from tests.segments.conftest import People

pytestmark = pytest.mark.django_db(transaction=True)


def sent_labels(person_id: int) -> list[str]:
    return [
        name.split(": ", 1)[1]
        for name in Delivery.objects.filter(person_id=person_id)
        .order_by("pk")
        .values_list("run__campaign__name", flat=True)
    ]


def test_activating_ends_the_wait_at_once_with_a_thank_you_and_no_reminder(
    people: People, demo: dict[str, Journey]
) -> None:
    now = timezone.now()
    post(people.anna, "service.offered", now, service_id="S1")

    enrolment = Enrolment.objects.get(person=people.anna)
    assert (enrolment.status, enrolment.step, enrolment.key) == ("active", "wait", "S1")
    assert enrolment.wait_event == "service.activated"
    assert enrolment.due_at is not None and enrolment.due_at - now > dt.timedelta(days=19)
    assert sent_labels(people.anna.pk) == ["Offer"]

    post(people.anna, "service.activated", now, service_id="S2")  # another service
    enrolment.refresh_from_db()
    assert enrolment.status == "active"

    post(people.anna, "service.activated", now, service_id="S1")
    enrolment.refresh_from_db()
    assert enrolment.status == "goal"
    assert sent_labels(people.anna.pk) == ["Offer", "Thank you"]

    assert advance_all_due(now=now + dt.timedelta(days=60)) == 0
    assert sent_labels(people.anna.pk) == ["Offer", "Thank you"]
    kinds = list(
        Event.objects.filter(person=people.anna, type__startswith="journey.")
        .order_by("pk")
        .values_list("type", "payload__step")
    )
    assert kinds[0] == ("journey.entered", None)
    assert ("journey.goal", None) in kinds
    assert ("journey.step", "thanks") in kinds
    assert Stat.objects.filter(journey=demo["activation"], metric="goal").get().n == 1


def test_without_activation_two_reminders_follow_and_the_journey_ends(
    people: People, demo: dict[str, Journey]
) -> None:
    now = timezone.now()
    post(people.anna, "service.offered", now, service_id="S1")

    assert advance_all_due(now=now + dt.timedelta(days=19)) == 0
    assert advance_all_due(now=now + dt.timedelta(days=20, minutes=1)) == 1
    assert sent_labels(people.anna.pk) == ["Offer", "Reminder"]
    assert advance_all_due(now=now + dt.timedelta(days=26)) == 0
    assert advance_all_due(now=now + dt.timedelta(days=27, minutes=2)) == 1
    assert sent_labels(people.anna.pk) == ["Offer", "Reminder", "Last reminder"]

    enrolment = Enrolment.objects.get(person=people.anna)
    assert enrolment.status == "completed"
    exited = Event.objects.get(person=people.anna, type="journey.exited")
    assert exited.payload["reason"] == "completed"
    assert advance_all_due(now=now + dt.timedelta(days=90)) == 0


def test_one_enrolment_per_service_and_never_again_for_the_same_one(
    people: People, demo: dict[str, Journey]
) -> None:
    now = timezone.now()
    post(people.anna, "service.offered", now, service_id="S1")
    post(people.anna, "service.offered", now, service_id="S1")  # offered twice: once in
    post(people.anna, "service.offered", now, service_id="S2")  # another service: its own
    assert sorted(Enrolment.objects.values_list("key", flat=True)) == ["S1", "S2"]

    post(people.anna, "service.activated", now, service_id="S1")
    post(people.anna, "service.offered", now, service_id="S1")  # re-entry "never"
    assert Enrolment.objects.filter(key="S1").count() == 1


def test_a_person_the_purpose_may_not_reach_is_skipped_with_the_reason(
    people: People, demo: dict[str, Journey]
) -> None:
    people.dag.emailaddresss.all().delete()
    post(people.dag, "service.offered", timezone.now(), service_id="S1")
    delivery = Delivery.objects.get(person=people.dag)
    assert (delivery.status, delivery.reason) == ("skipped", "no_address")
    step = Event.objects.get(person=people.dag, type="journey.step", payload__step="offer")
    assert step.payload["deliveries"] == [
        {"channel": "email", "status": "skipped", "reason": "no_address"}
    ]


def test_an_activation_stored_with_the_offer_is_heard_after_it(
    people: People, demo: dict[str, Journey]
) -> None:
    from luukku.customers.actions.timeline import NewEvent, append_events
    from luukku.journeys.reactions import hear_events

    now = timezone.now()
    append_events(
        [
            NewEvent(people.anna.pk, "service.offered", now, "bank", payload={"service_id": "S1"}),
            NewEvent(
                people.anna.pk, "service.activated", now, "bank", payload={"service_id": "S1"}
            ),
        ]
    )
    hear_events.call()
    assert Enrolment.objects.get(person=people.anna).status == "goal"
    assert sent_labels(people.anna.pk) == ["Offer", "Thank you"]  # heard in their order
