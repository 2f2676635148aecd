"""When campaigns go out: recurring runs, SMS quiet hours, the pace per receiving
domain, an A/B test whose winner goes to the rest, and conversions to a goal."""

from __future__ import annotations

import datetime
import zoneinfo

import pytest
from django.utils import timezone

from luukku.campaigns import abtest, sending
from luukku.campaigns.models import Campaign, Content, Delivery, Run, Stat
from luukku.campaigns.schedule import next_after, occurrences, quiet_end
from luukku.campaigns.services import save_content
from luukku.campaigns.services import schedule as schedule_campaign
from luukku.campaigns.tasks import keep_sends_going
from luukku.consent.models import Source
from luukku.consent.services import Evidence, record
from luukku.core.models import OrgUnit
from luukku.customers.actions.timeline import append_event
from luukku.customers.models import Event
from luukku.segments import membership
from luukku.segments.models import Segment
from tests.campaigns.test_sending import BODY, Sink, _campaign, sink  # noqa: F401 (a fixture)
from tests.segments.conftest import People, people, person  # noqa: F401 (a fixture)
from tests.test_jobs import run_due_jobs

OSLO = zoneinfo.ZoneInfo("Europe/Oslo")


def _at(*args: int) -> datetime.datetime:
    return datetime.datetime(*args, tzinfo=OSLO)  # type: ignore[misc]


@pytest.mark.django_db
def test_recurring_times_follow_the_rule_until_the_last_day() -> None:
    weekly = Campaign(
        scheduled_at=_at(2026, 1, 5, 9),
        recurrence="weekly",
        repeat_until=datetime.date(2026, 1, 26),
    )
    assert occurrences(weekly, _at(2026, 1, 1), _at(2026, 3, 1)) == [
        _at(2026, 1, 5, 9),
        _at(2026, 1, 12, 9),
        _at(2026, 1, 19, 9),
        _at(2026, 1, 26, 9),
    ]
    monthly = Campaign(scheduled_at=_at(2026, 1, 31, 8), recurrence="monthly")
    assert next_after(monthly, _at(2026, 1, 31, 8)) == _at(2026, 2, 28, 8)  # the month's end
    cron = Campaign(  # weekdays at 7:30 in the unit's time zone
        scheduled_at=_at(2026, 1, 1), cron="30 7 * * 1-5", org_unit=OrgUnit(time_zone="Europe/Oslo")
    )
    assert next_after(cron, _at(2026, 1, 2, 8)) == _at(2026, 1, 5, 7, 30)  # Friday → Monday


def test_quiet_hours_may_cross_midnight() -> None:
    campaign = Campaign(
        quiet_from=datetime.time(21),
        quiet_until=datetime.time(8),
        org_unit=OrgUnit(time_zone="Europe/Oslo"),
    )
    assert quiet_end(campaign, _at(2026, 3, 2, 22, 15)) == _at(2026, 3, 3, 8)
    assert quiet_end(campaign, _at(2026, 3, 3, 6)) == _at(2026, 3, 3, 8)
    assert quiet_end(campaign, _at(2026, 3, 3, 12)) is None


def test_a_receiving_domain_gets_its_share_a_minute() -> None:
    pace = sending.DomainPace(2)
    assert pace.wait("a@gmail.test") == 0 and pace.wait("b@GMAIL.test") == 0
    assert 59 < pace.wait("c@gmail.test") <= 60  # the third waits for the minute
    assert pace.wait("d@other.test") == 0


@pytest.mark.django_db(transaction=True)
def test_a_recurring_campaign_waits_for_its_next_time(sink: Sink, people: People) -> None:  # noqa: F811
    campaign = _campaign(people)
    campaign.recurrence = "daily"
    campaign.save()
    schedule_campaign(campaign, None, by=people.marketer)
    run_due_jobs()
    campaign.refresh_from_db()
    assert campaign.status == "scheduled"
    assert campaign.scheduled_at is not None and campaign.scheduled_at > timezone.now()
    assert len(sink.messages) == 2
    Campaign.objects.filter(pk=campaign.pk).update(scheduled_at=timezone.now())
    keep_sends_going.call()
    run_due_jobs()
    assert Run.objects.filter(campaign=campaign).count() == 2  # the segment taken again
    assert len(sink.messages) == 4


@pytest.mark.django_db(transaction=True)
def test_an_ab_test_sends_the_winner_to_the_rest(sink: Sink, people: People) -> None:  # noqa: F811
    oslo = Segment.objects.create(
        name="Many", slug="many", org_unit=people.tree.root, kind="static"
    )
    many = [person(f"P{n}", city="Oslo") for n in range(10)]
    for someone in many:
        record(someone, people.news, "granted", Evidence(source=Source.FORM), channels=["email"])
    membership.add_static(oslo, [p.pk for p in many])
    campaign = Campaign.objects.create(
        name="Test", org_unit=people.tree.root, purpose=people.news, ab_percent=40, ab_hours=2
    )
    campaign.segments.add(oslo)
    for variant, subject in (("", "Subject A"), ("b", "Subject B")):
        save_content(
            Content(
                campaign=campaign,
                channel="email",
                language="nb",
                variant=variant,
                subject=subject,
                body=BODY,
            )
        )
    schedule_campaign(campaign, None, by=people.marketer)
    run_due_jobs()

    subjects = sorted(m["Subject"] for _s, _r, m in sink.messages)
    assert subjects == ["Subject A", "Subject A", "Subject B", "Subject B"]  # 40 %: 2 and 2
    run = Run.objects.get(campaign=campaign)
    assert run.status == "sending"  # six wait for the decision
    assert abtest.decide(run) is None  # not yet: two hours
    b_delivery = Delivery.objects.filter(run=run, variant="b").first()
    assert b_delivery is not None
    Stat.objects.create(
        run=run,
        channel="email",
        language="nb",
        variant="b",
        hour=timezone.now().replace(minute=0, second=0, microsecond=0),
        metric="opened_unique",
        n=2,
    )
    Run.objects.filter(pk=run.pk).update(ab_until=timezone.now())
    keep_sends_going.call()
    run_due_jobs()
    run.refresh_from_db()
    assert (run.ab_decided, run.ab_winner, run.status) == (True, "b", "finished")
    subjects = [m["Subject"] for _s, _r, m in sink.messages]
    assert subjects.count("Subject B") == 8 and subjects.count("Subject A") == 2


@pytest.mark.django_db(transaction=True)
def test_a_goal_event_within_the_window_is_a_conversion(sink: Sink, people: People) -> None:  # noqa: F811
    campaign = _campaign(people)
    campaign.goal_event, campaign.goal_days = "fitness.membership_started", 7
    campaign.save()
    schedule_campaign(campaign, None, by=people.marketer)
    run_due_jobs()
    Delivery.objects.filter(person=people.bjorn).update(
        sent_at=timezone.now() - datetime.timedelta(days=8)
    )
    append_event(people.anna, type="fitness.membership_started")
    append_event(people.bjorn, type="fitness.membership_started")  # too late
    append_event(people.anna, type="fitness.visit")
    run_due_jobs()

    assert Delivery.objects.get(person=people.anna).converted_at is not None
    assert Delivery.objects.get(person=people.bjorn).converted_at is None
    assert Event.objects.filter(type="campaign.converted").count() == 1
    assert sum(Stat.objects.filter(metric="converted").values_list("n", flat=True)) == 1
