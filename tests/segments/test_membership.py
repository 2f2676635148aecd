"""Dynamic segments stay true as people change: a consent, a case, a click moves them in
or out within a refresh job, each move on the person's timeline; nested segments follow;
a full evaluation writes only the difference."""

from __future__ import annotations

import pytest
from django_tasks_db.models import DBTaskResult

from luukku.consent.models import Source
from luukku.consent.services import Evidence, record
from luukku.customers.models import Event
from luukku.desk.services import open_case
from luukku.segments import membership
from luukku.segments.models import Membership, Segment, SegmentCount
from luukku.segments.services import save_segment
from tests.segments.conftest import FOUR_CONDITIONS, People, clicked
from tests.test_jobs import run_due_jobs

pytestmark = pytest.mark.django_db(transaction=True)


def members(segment: Segment) -> list[str]:
    rows = Membership.objects.filter(segment=segment).select_related("person")
    return sorted(m.person.first_name for m in rows)


def moves(people_event_type: str) -> list[tuple[str, str]]:
    rows = Event.objects.filter(type__startswith="segment.").order_by("id")
    return [(e.type.removeprefix("segment."), e.payload["segment"]) for e in rows]


def test_members_follow_consents_cases_and_clicks(people: People) -> None:
    engaged = save_segment(
        Segment(
            name="Engaged young Oslo",
            slug="engaged",
            org_unit=people.tree.root,
            rule=FOUR_CONDITIONS,
        ),
        by=people.marketer,
    )
    assert sorted(engaged.depends_on) == [
        "case",
        "consent",
        "event:campaign.clicked",
        "person",
        "time",
    ]
    run_due_jobs()  # the first evaluation
    engaged.refresh_from_db()
    assert members(engaged) == ["Anna"] and engaged.member_count == 1
    assert engaged.evaluated_at is not None and engaged.evaluation_ms is not None
    assert SegmentCount.objects.filter(segment=engaged, members=1).exists()
    entered = Event.objects.get(person=people.anna, type="segment.entered")
    assert entered.payload == {"segment": "engaged", "name": "Engaged young Oslo"}

    # Eva consents; Frida clicks again; Anna opens a case.
    record(people.eva, people.news, "granted", Evidence(source=Source.FORM), channels=["email"])
    clicked(people.frida, 0, campaign="autumn")
    open_case(queue=people.housing, subject="Leak", by=None, person=people.anna)
    run_due_jobs()
    assert members(engaged) == ["Eva", "Frida"]
    assert Event.objects.filter(person=people.anna, type="segment.exited").count() == 1
    engaged.refresh_from_db()
    assert engaged.member_count == 2

    # A full evaluation finds nothing to change, and writes nothing.
    before = Event.objects.filter(type__startswith="segment.").count()
    result = membership.evaluate_fully(engaged)
    assert (result.entered, result.exited) == ([], [])
    assert Event.objects.filter(type__startswith="segment.").count() == before


def test_a_segment_built_on_another_follows_it(people: People) -> None:
    save_segment(
        Segment(
            name="Consenting",
            slug="consenting",
            org_unit=people.tree.root,
            rule={"kind": "consent", "purpose": "news", "channel": "email", "state": "granted"},
        ),
        by=None,
    )
    young = save_segment(
        Segment(
            name="Young consenting",
            slug="young-consenting",
            org_unit=people.tree.root,
            rule={
                "all": [
                    {"kind": "segment", "segment": "consenting"},
                    {"kind": "attribute", "field": "age", "op": "lt", "value": 26},
                ]
            },
        ),
        by=None,
    )
    run_due_jobs()
    membership.evaluate_fully(young)  # after the one it is built on
    assert members(young) == ["Anna", "Bjorn", "Dag"]
    record(people.dag, people.news, "withdrawn", Evidence(source=Source.ONE_CLICK))
    run_due_jobs()
    assert members(young) == ["Anna", "Bjorn"]
    assert Event.objects.filter(person=people.dag, type="segment.exited").count() == 2


def test_changes_no_segment_cares_about_queue_nothing(people: People) -> None:
    save_segment(
        Segment(
            name="Bergen",
            slug="bergen",
            org_unit=people.tree.root,
            rule={"kind": "attribute", "field": "city", "op": "eq", "value": "Bergen"},
        ),
        by=None,
    )
    run_due_jobs()
    queued = DBTaskResult.objects.count()
    clicked(people.anna, 0, campaign="x")  # no segment reads clicks
    assert DBTaskResult.objects.count() == queued
    record(people.anna, people.news, "withdrawn", Evidence(source=Source.AGENT))
    assert DBTaskResult.objects.count() == queued  # nor consents


def test_routing_rules_and_sla_policies_ask_about_segments(people: People) -> None:
    from django.core.exceptions import ValidationError

    from luukku.desk.models import RoutingRule, SlaPolicy
    from luukku.desk.rules import check_rule as check_routing_rule
    from luukku.desk.sla import policy_for
    from luukku.desk.sla_policies import save_policy

    save_segment(Segment(name="VIP", slug="vip", org_unit=people.tree.root, kind="static"), by=None)
    vip = Segment.objects.get(slug="vip")
    membership.add_static(vip, [people.anna.pk])
    fast = save_policy(
        SlaPolicy(
            name="VIP first",
            org_unit=people.tree.root,
            position=1,
            first_response_minutes=30,
            conditions={"segment": ["vip"]},
        ),
        by=None,
    )
    anna_case = open_case(queue=people.housing, subject="Help", by=None, person=people.anna)
    eva_case = open_case(queue=people.housing, subject="Help", by=None, person=people.eva)
    assert policy_for(anna_case) == fast and policy_for(eva_case) is None
    with pytest.raises(ValidationError, match="gone"):
        save_policy(
            SlaPolicy(
                name="X",
                org_unit=people.tree.root,
                first_response_minutes=1,
                conditions={"segment": ["gone"]},
            ),
            by=None,
        )
    urgent = RoutingRule.objects.create(
        name="VIP urgent",
        org_unit=people.tree.root,
        position=1,
        is_active=True,
        conditions=[{"field": "segment", "op": "is", "value": "vip"}],
        actions={"priority": "urgent"},
    )
    check_routing_rule(urgent)  # refuses nothing
    vip_case = open_case(queue=people.housing, subject="Again", by=None, person=people.anna)
    other = open_case(queue=people.housing, subject="Again", by=None, person=people.eva)
    vip_case.refresh_from_db()
    other.refresh_from_db()
    assert (vip_case.priority, other.priority) == ("urgent", "normal")
    urgent.conditions = [{"field": "segment", "op": "in", "value": ["vip", "gone"]}]
    with pytest.raises(ValidationError, match="no segment “gone”"):
        check_routing_rule(urgent)
