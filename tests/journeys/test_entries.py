"""Ways in and out: a segment entered, a case resolved in a queue, a birthday coming
round, by hand; re-entry after some days; leaving on a withdrawn consent or a segment
left; a new version that those inside stay out of unless moved; a task for an agent."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone

from luukku.consent.models import Source
from luukku.consent.services import Evidence, record
from luukku.core.models import Role
from luukku.desk.models import Case, Category
from luukku.desk.services import change_status, classify_case, open_case
from luukku.journeys import services
from luukku.journeys.models import Enrolment, Journey
from luukku.journeys.reactions import hear_events
from luukku.journeys.tasks import enter_on_date
from luukku.segments import membership
from luukku.segments.models import Segment
from tests.factories import user_with
from tests.segments.conftest import People

pytestmark = pytest.mark.django_db(transaction=True)

WAIT = {
    "a": {"type": "wait", "duration": {"days": 3}, "next": "b"},
    "b": {"type": "end"},
}


def journey(
    people: People, entry: dict[str, Any], steps: dict[str, Any] = WAIT, **more: Any
) -> Journey:
    made = services.create_journey(
        name="Entries", org_unit=people.tree.root, purpose=people.news, by=None
    )
    services.save_draft(
        made, {"entry": entry, "start": next(iter(steps)), "steps": steps, **more}, by=None
    )
    return services.activate(made, by=None)


def inside(journey: Journey) -> list[int]:
    return sorted(
        Enrolment.objects.filter(journey=journey, status="active").values_list(
            "person_id", flat=True
        )
    )


def test_entering_a_segment_enrols_and_leaving_it_takes_out(people: People) -> None:
    oslo = Segment.objects.create(
        name="Oslo", slug="oslo", org_unit=people.tree.root, kind="static"
    )
    made = journey(
        people,
        {"kind": "segment", "segment": "oslo"},
        exits=[{"kind": "left_segment", "segment": "oslo"}],
    )
    membership.add_static(oslo, [people.anna.pk, people.bjorn.pk])
    hear_events.call()
    assert inside(made) == sorted([people.anna.pk, people.bjorn.pk])

    membership.remove_static(oslo, [people.bjorn.pk])
    hear_events.call()
    assert inside(made) == [people.anna.pk]
    left = Enrolment.objects.get(journey=made, person=people.bjorn)
    assert (left.status, left.context["exit"]) == ("exited", "left_segment")


def test_a_case_resolved_in_a_queue_enrols_once_per_case(people: People) -> None:
    made = journey(people, {"kind": "case", "status": "resolved", "queue": "housing"})
    agent = user_with(Role.AGENT, people.tree.housing, username="agent")
    water = Category.objects.create(name="Water", org_unit=people.tree.housing)
    for subject in ("Leak", "Noise"):
        case = open_case(queue=people.housing, subject=subject, by=None, person=people.anna)
        case = classify_case(case, category_id=water.pk, by=agent, version=None)
        change_status(case, to="resolved", by=agent, version=None)
    hear_events.call()
    numbers = sorted(Case.objects.filter(person=people.anna).values_list("number", flat=True))
    keys = sorted(
        int(k) for k in Enrolment.objects.filter(journey=made).values_list("key", flat=True)
    )
    assert keys == numbers


def test_withdrawing_consent_takes_the_person_out(people: People) -> None:
    made = journey(
        people, {"kind": "event", "event_type": "x.start"}, exits=[{"kind": "consent_withdrawn"}]
    )
    services.enrol_person(made, people.anna, by=None)
    record(people.anna, people.news, "withdrawn", Evidence(source=Source.FORM), channels=["email"])
    hear_events.call()
    assert Enrolment.objects.get(journey=made).status == "exited"


def test_a_birthday_enrols_once_that_day_after_its_time(people: People) -> None:
    made = journey(
        people, {"kind": "date", "field": "date_of_birth", "yearly": True, "time": "09:00"}
    )
    born = people.anna.date_of_birth
    assert born is not None
    zone = made.org_unit.time_zone
    import zoneinfo

    day = timezone.localdate().replace(month=born.month, day=born.day)
    morning = dt.datetime.combine(day, dt.time(8), zoneinfo.ZoneInfo(zone))
    assert enter_on_date(made, made_entry(made), morning) == 0  # before nine
    later = morning + dt.timedelta(hours=2)
    assert enter_on_date(made, made_entry(made), later) >= 1
    assert enter_on_date(made, made_entry(made), later + dt.timedelta(hours=1)) == 0  # once
    assert people.anna.pk in inside(made)


def made_entry(journey: Journey) -> Any:
    from luukku.journeys.scheduler import definition_of

    assert journey.current_id is not None
    return definition_of(journey.current_id).entry


def test_re_entry_after_some_days(people: People) -> None:
    made = journey(
        people,
        {"kind": "manual"},
        {"b": {"type": "end"}},
        reentry={"policy": "after_days", "days": 30},
    )
    assert services.enrol_person(made, people.anna, by=None) is not None  # ends at once
    assert services.enrol_person(made, people.anna, by=None) is None
    Enrolment.objects.filter(journey=made).update(ended_at=timezone.now() - dt.timedelta(days=31))
    assert services.enrol_person(made, people.anna, by=None) is not None


def test_a_new_version_leaves_those_inside_on_theirs_unless_moved(people: People) -> None:
    made = journey(people, {"kind": "manual"})
    services.enrol_person(made, people.anna, by=None)
    services.save_draft(
        made,
        {
            "entry": {"kind": "manual"},
            "start": "a",
            "steps": {**WAIT, "a": {**WAIT["a"], "label": "Three days"}},
        },
        by=None,
    )
    services.activate(made, by=None)
    services.enrol_person(made, people.bjorn, by=None)
    versions = dict(
        Enrolment.objects.filter(journey=made).values_list("person_id", "version__number")
    )
    assert versions == {people.anna.pk: 1, people.bjorn.pk: 2}

    services.save_draft(made, {"entry": {"kind": "manual"}, "start": "a", "steps": WAIT}, by=None)
    services.activate(made, by=None, migrate=True)
    numbers = set(Enrolment.objects.filter(journey=made).values_list("version__number", flat=True))
    assert numbers == {3}


def test_a_task_for_an_agent_is_their_case(people: People) -> None:
    agent = user_with(Role.AGENT, people.tree.housing, username="kari")
    made = journey(
        people,
        {"kind": "manual"},
        {
            "call": {
                "type": "create_case",
                "queue": "housing",
                "subject": "Call about the contract",
                "assignee": "kari",
                "next": None,
            },
        },
    )
    services.enrol_person(made, people.anna, by=None)
    case = Case.objects.get(subject="Call about the contract")
    assert case.assignee == agent

    refused = services.create_journey(
        name="Wrong", org_unit=people.tree.root, purpose=None, by=None
    )
    services.save_draft(
        refused,
        {
            "start": "call",
            "steps": {
                "call": {
                    "type": "create_case",
                    "queue": "housing",
                    "subject": "x",
                    "assignee": "nobody",
                }
            },
        },
        by=None,
    )
    with pytest.raises(services.NotActivatable) as error:
        services.activate(refused, by=None)
    assert "call: No staff member nobody." in str(error.value.problems[0])


def test_a_birthday_enrols_once_that_day_whatever_the_re_entry_rule(people: People) -> None:
    import zoneinfo

    made = journey(
        people,
        {"kind": "date", "field": "date_of_birth", "yearly": True, "time": "09:00"},
        {"b": {"type": "end"}},  # done at once: "always" would let them in again
        reentry={"policy": "always"},
    )
    born = people.anna.date_of_birth
    assert born is not None
    day = timezone.localdate().replace(month=born.month, day=born.day)
    noon = dt.datetime.combine(day, dt.time(12), zoneinfo.ZoneInfo(made.org_unit.time_zone))
    first = enter_on_date(made, made_entry(made), noon)
    assert first >= 1
    assert enter_on_date(made, made_entry(made), noon + dt.timedelta(minutes=15)) == 0


def test_a_journey_names_only_what_its_units_branch_owns(people: People) -> None:
    from luukku.desk.models import Queue

    Queue.objects.create(name="Health", slug="health", org_unit=people.tree.health)
    housing = services.create_journey(
        name="Housing only", org_unit=people.tree.housing, purpose=None, by=None
    )
    services.save_draft(
        housing,
        {
            "start": "call",
            "steps": {
                "call": {"type": "create_case", "queue": "health", "subject": "x", "next": "own"},
                "own": {"type": "create_case", "queue": "housing", "subject": "y"},
            },
        },
        by=None,
    )
    with pytest.raises(services.NotActivatable) as error:
        services.activate(housing, by=None)
    assert [str(p) for p in error.value.problems] == ["call: No queue health."]


def test_a_person_restricted_to_another_unit_is_not_enrolled(people: People) -> None:
    from luukku.customers.actions.parties import create_party
    from luukku.customers.models import Person

    patient = create_party(
        Person,
        values={"first_name": "Pia"},
        org_unit=people.tree.health,
        sensitivity="restricted",
        by=None,
    ).party
    housing = services.create_journey(
        name="Housing", org_unit=people.tree.housing, purpose=None, by=None
    )
    services.save_draft(housing, {"start": "b", "steps": {"b": {"type": "end"}}}, by=None)
    services.activate(housing, by=None)
    assert services.enrol_person(housing, patient, by=None) is None  # type: ignore[arg-type]
    assert services.enrol_person(housing, people.anna, by=None) is not None
