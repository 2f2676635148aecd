"""Journeys on virtual time: the plan for weeks of waits computed at once, with the
scheduler's own engine, so a journey is tested without waiting days."""

from __future__ import annotations

import datetime as dt
import zoneinfo

from luukku.core.business_time import Schedule
from luukku.journeys import definition as d
from luukku.journeys.demo import activation_definition
from luukku.journeys.simulator import Person, VirtualEvent, dry_run

OSLO = zoneinfo.ZoneInfo("Europe/Oslo")
START = dt.datetime(2026, 3, 20, 10, 0, tzinfo=OSLO)  # a Friday, before summer time
ACTIVATION = d.parse(activation_definition(1, 2, 3, 4))


def steps(lines: list) -> list[tuple[str, str, str]]:  # type: ignore[type-arg]
    return [
        (line.at.astimezone(OSLO).strftime("%m-%d %H:%M"), line.step, line.way) for line in lines
    ]


def test_without_activation_the_plan_shows_both_reminders_and_the_end() -> None:
    lines = dry_run(ACTIVATION, person=Person(), start=START, entry={"service_id": "S1"})
    assert steps(lines) == [
        ("03-20 10:00", "", ""),
        ("03-20 10:00", "offer", "next"),
        ("03-20 10:00", "wait", "waiting"),
        ("04-09 10:00", "wait", "timeout"),  # 20 days on, across the clock change
        ("04-09 10:00", "reminder", "next"),
        ("04-09 10:00", "week", "waiting"),
        ("04-16 10:00", "week", "next"),
        ("04-16 10:00", "last", "next"),
        ("04-16 10:00", "done", "end"),
        ("04-16 10:00", "", "completed"),
    ]


def test_activation_two_days_in_thanks_at_once_and_reminds_never() -> None:
    lines = dry_run(
        ACTIVATION,
        person=Person(),
        start=START,
        entry={"service_id": "S1"},
        events=[
            VirtualEvent(START + dt.timedelta(days=1), "service.activated", {"service_id": "S2"}),
            VirtualEvent(START + dt.timedelta(days=2), "service.activated", {"service_id": "S1"}),
        ],
    )
    assert [(line.type, line.step, line.way) for line in lines][3:] == [
        ("event", "wait", "ignored"),  # another service's activation
        ("event", "wait", "goal"),
        ("goal", "", "service.activated"),
        ("send", "thanks", "next"),
        ("end", "done", "end"),
        ("ended", "", "goal"),
    ]
    assert lines[-1].at == START + dt.timedelta(days=2)


def test_a_wait_until_monday_nine_and_business_days_follow_the_calendar() -> None:
    nine, five = dt.time(9), dt.time(17)
    weekdays = (((nine, five),),) * 5 + ((),) * 2
    calendar = Schedule("Europe/Oslo", weekly=weekdays, holidays=frozenset({dt.date(2026, 3, 24)}))
    defn = d.parse(
        {
            "start": "monday",
            "steps": {
                "monday": {"type": "wait_until", "time": "09:00", "weekdays": [0], "next": "three"},
                "three": {
                    "type": "wait",
                    "duration": {"days": 3},
                    "business_days": True,
                    "next": "done",
                },
                "done": {"type": "end"},
            },
        }
    )
    lines = dry_run(defn, person=Person(), start=START, schedule=calendar)
    assert steps(lines)[2:5] == [
        ("03-23 09:00", "monday", "next"),
        ("03-23 09:00", "three", "waiting"),
        # Tuesday the 24th is a holiday: Wednesday, Thursday, Friday.
        ("03-27 09:00", "three", "next"),
    ]


def test_a_made_up_person_with_an_open_case_is_held_and_the_plan_says_so() -> None:
    defn = d.parse(
        {
            "hold": {"any_open_case": True},
            "start": "hello",
            "steps": {
                "hello": {"type": "send", "message": 1, "next": "done"},
                "done": {"type": "end"},
            },
        }
    )
    lines = dry_run(
        defn,
        person=Person(open_cases=["#12 Mould in the bathroom"]),
        start=START,
        horizon=dt.timedelta(days=2),
    )
    held = [line for line in lines if line.way == "held"]
    assert held and held[0].detail == {"reason": "#12 Mould in the bathroom"}
    assert not any(line.type == "send" and line.way == "next" for line in lines)
