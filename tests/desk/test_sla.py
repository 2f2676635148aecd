"""SLA clocks on business calendars: started, paused, resumed, met, warned and breached."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pytest
from django.core.exceptions import ValidationError

from luukku.core.actions.calendars import parse_hours, save_calendar, set_special_day
from luukku.desk.models import (
    Case,
    ClockState,
    HistoryEntry,
    SlaClock,
    SlaEvent,
    SlaPolicy,
    StatusCategory,
    Target,
)
from luukku.desk.services import (
    NewMessage,
    change_status,
    classify_case,
    open_case,
    receive,
    reply,
)
from luukku.desk.sla_policies import save_policy
from luukku.desk.sla_scheduler import take_due
from luukku.desk.tasks import recompute_sla
from tests.desk.conftest import HELSINKI, Clock, Desk

pytestmark = pytest.mark.django_db


def policy(desk: Desk, **kwargs: object) -> SlaPolicy:
    values: dict[str, object] = {
        "name": "Housing standard",
        "org_unit": desk.tree.housing,
        "first_response_minutes": 240,
        "resolution_minutes": 3 * 8 * 60,
    }
    return save_policy(SlaPolicy(**(values | kwargs)), by=None)


def finnish_office(desk: Desk) -> None:
    office = parse_hours("08:00-16:00")
    save_calendar(
        desk.tree.housing,
        name="Housing office",
        time_zone="Europe/Helsinki",
        holiday_country="FI",
        de_facto_holidays=True,
        week=[office] * 5 + [(), ()],
        by=None,
    )


def new_case(desk: Desk, **kwargs: object) -> Case:
    return open_case(
        queue=desk.housing,
        subject="The shower leaks",
        by=None,
        channel="email",
        person=desk.customer,
        first=NewMessage(text="Water everywhere.", sender="aino@example.test"),
        **kwargs,  # type: ignore[arg-type]
    )


def clocks(case: Case) -> dict[str, SlaClock]:
    return {c.target: c for c in SlaClock.objects.filter(case=case)}


def milestones(case: Case) -> list[tuple[str, str]]:
    return list(SlaEvent.objects.filter(case=case).values_list("target", "kind"))


def local(moment: dt.datetime | None) -> dt.datetime | None:
    return moment.astimezone(HELSINKI) if moment else None


def test_four_business_hours_from_friday_afternoon_before_a_finnish_holiday(
    desk: Desk, clock: Clock
) -> None:
    finnish_office(desk)
    policy(desk)
    # Wednesday 23 December 2026, 15:00: Christmas Eve and Christmas Day close Thursday
    # and Friday, then the weekend.
    clock.set(dt.datetime(2026, 12, 23, 15, 0, tzinfo=HELSINKI))
    case = new_case(desk)
    first = clocks(case)[Target.FIRST_RESPONSE]
    assert local(first.due_at) == dt.datetime(2026, 12, 28, 11, 0, tzinfo=HELSINKI)
    assert local(first.warn_at) == dt.datetime(2026, 12, 28, 10, 12, tzinfo=HELSINKI)  # 80 %
    case.refresh_from_db()
    assert case.sla_due_at == first.due_at
    assert ("first_response", "started") in milestones(case)
    assert ("resolution", "started") in milestones(case)


def test_the_scheduler_warns_then_breaches_once_each(desk: Desk, clock: Clock) -> None:
    policy(desk, first_response_minutes=10, warn_at_percent=50)
    case = new_case(desk)
    assert take_due() == []
    clock.move(minutes=5)
    warned = take_due()
    assert [(d.clock.target, d.kind) for d in warned] == [("first_response", "warned")]
    assert take_due() == []
    clock.move(minutes=5)
    assert [(d.clock.target, d.kind) for d in take_due()] == [("first_response", "breached")]
    clock.move(minutes=60)
    assert take_due() == []
    kinds = list(HistoryEntry.objects.filter(case=case).values_list("kind", flat=True))
    assert kinds.count("sla_warned") == 1 and kinds.count("sla_breached") == 1
    # A late answer still meets the target, and the report sees it was breached first.
    reply(case, by=desk.kari, text="Sorry for the wait.", version=None)
    first = clocks(case)[Target.FIRST_RESPONSE]
    assert first.state == ClockState.MET and first.breached_at is not None
    assert milestones(case)[-1] == ("first_response", "met")


def test_pending_the_customer_pauses_the_clocks_and_their_answer_resumes_them(
    desk: Desk, clock: Clock
) -> None:
    policy(desk, next_response_minutes=60)
    case = new_case(desk)
    clock.move(minutes=30)
    reply(case, by=desk.kari, text="Which flat?", version=None)
    change_status(case, to=StatusCategory.PENDING_CUSTOMER, by=desk.kari, version=None)
    resolution = clocks(case)[Target.RESOLUTION]
    assert resolution.state == ClockState.PAUSED and resolution.due_at is None
    assert resolution.pause_reason == "pending_customer"
    case.refresh_from_db()
    assert case.sla_due_at is None

    clock.move(hours=5)
    receive(case, NewMessage(text="12B", sender="aino@example.test"))
    resolution = clocks(case)[Target.RESOLUTION]
    assert resolution.state == ClockState.RUNNING
    assert resolution.paused_business == dt.timedelta(hours=5)
    # Around the clock (no calendar): 24 h of target plus the 5 h paused.
    assert resolution.due_at == case.created_at + dt.timedelta(hours=24 + 5)
    following = clocks(case)[Target.NEXT_RESPONSE]
    assert following.state == ClockState.RUNNING
    assert following.due_at == clock.now.astimezone(dt.UTC) + dt.timedelta(minutes=60)
    paused = SlaEvent.objects.get(case=case, target="resolution", kind="paused")
    assert paused.reason == "pending_customer"
    assert SlaEvent.objects.filter(case=case, target="resolution", kind="resumed").exists()

    clock.move(minutes=20)
    reply(case, by=desk.kari, text="A plumber comes today.", version=None)
    assert clocks(case)[Target.NEXT_RESPONSE].state == ClockState.MET
    case.refresh_from_db()
    assert case.sla_due_at == resolution.due_at  # the next deadline is the resolution's


def test_resolving_meets_the_resolution_and_reopening_counts_on(desk: Desk, clock: Clock) -> None:
    policy(desk)
    case = new_case(desk)
    classify_case(case, by=desk.kari, version=None, category_id=desk.repairs.pk)
    clock.move(hours=2)
    change_status(case, to=StatusCategory.RESOLVED, by=desk.kari, version=None)
    states = {t: c.state for t, c in clocks(case).items()}
    assert states == {Target.FIRST_RESPONSE: ClockState.STOPPED, Target.RESOLUTION: "met"}
    clock.move(hours=10)
    receive(case, NewMessage(text="It leaks again", sender="aino@example.test"))
    resolution = clocks(case)[Target.RESOLUTION]
    assert resolution.state == ClockState.RUNNING
    # The ten hours it stood resolved do not count.
    assert resolution.due_at == case.created_at + dt.timedelta(hours=24 + 10)


def test_a_policy_applies_to_the_cases_its_conditions_name(desk: Desk, clock: Clock) -> None:
    policy(
        desk,
        name="Urgent",
        position=1,
        first_response_minutes=30,
        conditions={"priority": ["urgent"]},
    )
    policy(
        desk,
        name="Repairs",
        position=2,
        first_response_minutes=120,
        conditions={"category": [desk.repairs.pk]},
    )
    policy(desk, name="Everything else", position=3, first_response_minutes=480)
    plain = new_case(desk)
    urgent = new_case(desk, priority="urgent")
    assert clocks(plain)[Target.FIRST_RESPONSE].policy.name == "Everything else"
    assert clocks(urgent)[Target.FIRST_RESPONSE].policy.name == "Urgent"
    # Classifying the case moves it under the repairs policy, counted from its start.
    classify_case(plain, by=desk.kari, version=None, category_id=desk.repairs.pk)
    first = clocks(plain)[Target.FIRST_RESPONSE]
    assert first.policy.name == "Repairs"
    assert first.due_at == plain.created_at + dt.timedelta(minutes=120)


def test_editing_a_policy_recomputes_open_cases_in_the_background(
    desk: Desk, clock: Clock, django_capture_on_commit_callbacks: Callable[..., object]
) -> None:
    standard = policy(desk)
    case = new_case(desk)
    standard.first_response_minutes = 60
    save_policy(standard, by=None)
    assert clocks(case)[Target.FIRST_RESPONSE].due_at == case.created_at + dt.timedelta(
        minutes=240
    )  # not yet: the job does it
    recompute_sla.call(standard.pk)
    assert clocks(case)[Target.FIRST_RESPONSE].due_at == case.created_at + dt.timedelta(minutes=60)


def test_a_special_day_moves_the_deadline(desk: Desk, clock: Clock) -> None:
    finnish_office(desk)
    set_special_day(
        desk.tree.housing.calendar, date=dt.date(2026, 12, 3), name="Staff day", hours="", by=None
    )
    policy(desk)
    clock.set(dt.datetime(2026, 12, 2, 14, 0, tzinfo=HELSINKI))  # Wednesday
    case = new_case(desk)
    # 2 h on Wednesday, Thursday closed, 2 h on Friday.
    assert local(clocks(case)[Target.FIRST_RESPONSE].due_at) == dt.datetime(
        2026, 12, 4, 10, 0, tzinfo=HELSINKI
    )


def test_conditions_that_name_the_unknown_are_refused_with_the_reason(desk: Desk) -> None:
    with pytest.raises(ValidationError, match="Unknown condition: weather"):
        policy(desk, conditions={"weather": ["rain"]})
    with pytest.raises(ValidationError, match="does not exist"):
        policy(desk, conditions={"category": [987654]})
    with pytest.raises(ValidationError, match="does not exist"):
        policy(desk, conditions={"priority": ["whenever"]})
    with pytest.raises(ValidationError, match="at least one target"):
        policy(desk, first_response_minutes=None, resolution_minutes=None)
    assert not SlaPolicy.objects.exists()


def test_a_merged_case_stops_its_clocks_and_the_survivor_keeps_its_own(
    desk: Desk, clock: Clock
) -> None:
    from luukku.desk.services import merge_case

    policy(desk)
    survivor, duplicate = new_case(desk), new_case(desk)
    merge_case(duplicate, into=survivor, by=desk.kari, version=None)
    assert {c.state for c in clocks(duplicate).values()} == {ClockState.STOPPED}
    duplicate.refresh_from_db()
    assert duplicate.sla_due_at is None
    assert {c.state for c in clocks(survivor).values()} == {ClockState.RUNNING}
    assert ("resolution", "met") not in milestones(duplicate)
