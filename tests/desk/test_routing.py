"""Routing rules: set up on the setup page, refused when they could not run, tried on a
case before they are enabled, and run on new and changed cases; the triage queue."""

from __future__ import annotations

import pytest
from django.test import Client

from luukku.channels.inbound import InboundMessage
from luukku.channels.models import Mailbox
from luukku.core.models import AuditEntry, Role
from luukku.customers.models import CustomField
from luukku.desk.inbound import route_email
from luukku.desk.models import (
    Case,
    HistoryEntry,
    Queue,
    RoutingRule,
    SlaClock,
    SlaPolicy,
    StandardAnswer,
)
from luukku.desk.rule_views import save_rule
from luukku.desk.services import NewMessage, classify_case, open_case
from luukku.desk.sla_policies import save_policy
from tests.desk.conftest import Desk
from tests.factories import PASSWORD, user_with

pytestmark = pytest.mark.django_db


def _login(username: str) -> Client:
    client = Client()
    assert client.login(username=username, password=PASSWORD)
    return client


def _rule(desk: Desk, **values: object) -> RoutingRule:
    rule = RoutingRule(org_unit=desk.tree.housing, is_active=True, **values)
    return save_rule(rule, by=desk.kari)


def _mail(subject: str, sender: str = "aino@example.test", text: str = "Hei") -> InboundMessage:
    return InboundMessage(
        channel="email",
        sender=sender,
        sender_name="Aino",
        recipients=["housing@demo.luukku.test"],
        subject=subject,
        text=text,
        external_id=f"<{subject.replace(' ', '-')}@example.test>",
    )


@pytest.fixture
def repairs_queue(desk: Desk) -> Queue:
    return Queue.objects.create(name="Repairs", slug="repairs", org_unit=desk.tree.housing)


def test_a_rule_moves_raises_tags_and_sets_the_sla_of_matching_mail(
    desk: Desk, mailbox: Mailbox, repairs_queue: Queue
) -> None:
    urgent_sla = save_policy(
        SlaPolicy(name="Water damage", org_unit=desk.tree.housing, first_response_minutes=30),
        by=None,
    )
    _rule(
        desk,
        name="Water",
        position=1,
        conditions=[{"field": "text", "op": "matches", "value": r"lekk|leak|vann"}],
        actions={
            "queue": "repairs",
            "priority": "urgent",
            "tags": ["water"],
            "sla_policy": urgent_sla.pk,
        },
    )
    _rule(
        desk,
        name="From the caretaker",
        position=2,
        conditions=[{"field": "sender_domain", "op": "is", "value": "vaktmester.test"}],
        actions={"tags": ["caretaker"], "priority": "high"},
        stop=True,
    )
    _rule(desk, name="Never reached", position=3, actions={"tags": ["late"]})

    route_email(_mail("Vannlekkasje på badet", sender="ola@vaktmester.test"), mailbox)
    case = Case.objects.get(subject="Vannlekkasje på badet")
    assert case.queue == repairs_queue
    assert case.priority == "high"  # the later rule wins
    assert sorted(case.tags.values_list("name", flat=True)) == ["caretaker", "water"]
    routed = HistoryEntry.objects.get(case=case, kind="routed")
    assert routed.details["rules"] == ["Water", "From the caretaker"]
    clock = SlaClock.objects.get(case=case, target="first_response")
    assert clock.policy == urgent_sla

    route_email(_mail("Nøkkel"), mailbox)
    plain = Case.objects.get(subject="Nøkkel")
    assert plain.queue == desk.housing and list(plain.tags.values_list("name", flat=True)) == [
        "late"
    ]


def test_rules_on_change_and_a_standard_answer(desk: Desk, mailbox: Mailbox) -> None:
    answer = StandardAnswer.objects.create(
        title="Repairs info",
        org_unit=desk.tree.housing,
        body="Hei {{ customer.first_name }}, en vaktmester kommer i løpet av {{ case.number }}.",
    )
    _rule(
        desk,
        name="Repairs get the info",
        trigger="updated",
        conditions=[{"field": "category", "op": "in", "value": [desk.repairs.pk]}],
        actions={"answer": answer.pk},
    )
    route_email(_mail("Dør"), mailbox)
    case = Case.objects.get(subject="Dør")
    assert not case.messages.filter(direction="outbound").exists()
    classify_case(case, by=desk.kari, version=None, category_id=desk.repairs.pk)
    sent = case.messages.get(direction="outbound")
    first_name = case.person.first_name if case.person else ""
    assert sent.body_text == f"Hei {first_name}, en vaktmester kommer i løpet av {case.number}."
    assert sent.author is None


def test_a_rule_that_could_not_run_is_refused_with_the_reason(desk: Desk) -> None:
    user_with(Role.ADMINISTRATOR, desk.tree.housing, username="sup")
    sup = _login("sup")
    form = {
        "name": "Broken",
        "org_unit": desk.tree.housing.pk,
        "position": "1",
        "trigger": "created",
        "match": "all",
        "condition_lines": "subject matches (unclosed",
    }
    page = sup.post("/desk/setup/rules/new/", form).content.decode()
    assert "Condition 1: the regular expression “(unclosed” is invalid" in page
    CustomField.objects.create(entity="person", key="student", label="Student", kind="text")
    form["condition_lines"] = "customer.custom.studnet is yes\nweather is rain"
    page = sup.post("/desk/setup/rules/new/", form).content.decode()
    assert "Condition 1: the customer field “studnet” does not exist (any more)." in page
    assert "Condition 2: unknown field “weather”." in page
    assert not RoutingRule.objects.exists()

    form["condition_lines"] = "customer.custom.student is yes\nsubject contains key"
    form["priority"] = "high"
    assert sup.post("/desk/setup/rules/new/", form).status_code == 302
    rule = RoutingRule.objects.get()
    assert rule.conditions[1] == {"field": "subject", "op": "contains", "value": "key"}
    assert rule.actions == {"priority": "high"} and not rule.is_active
    assert AuditEntry.objects.filter(object_type="desk.routingrule").count() == 1


def test_what_would_happen_tries_an_inactive_rule_on_a_case_without_changing_it(
    desk: Desk, mailbox: Mailbox
) -> None:
    user_with(Role.ADMINISTRATOR, desk.tree.housing, username="sup")
    rule = save_rule(
        RoutingRule(
            org_unit=desk.tree.housing,
            name="Leaks are urgent",
            conditions=[
                {"field": "subject", "op": "contains", "value": "leak"},
                {"field": "sender_domain", "op": "is", "value": "example.test"},
            ],
            actions={"priority": "urgent"},
        ),
        by=None,
    )
    route_email(_mail("A leak in the kitchen"), mailbox)
    case = Case.objects.get(subject="A leak in the kitchen")
    version = case.version
    page = _login("sup").get(f"/desk/setup/rules/{rule.pk}/", {"case": case.number})
    text = page.content.decode()
    assert f"The rule matches {case.reference}." in text
    assert "subject contains leak: yes" in text and "priority: urgent" in text
    case.refresh_from_db()
    assert case.priority == "normal" and case.version == version


def test_mail_to_a_mailbox_without_a_queue_waits_in_triage(desk: Desk) -> None:
    triage = Queue.objects.create(
        name="Triage", slug="triage", org_unit=desk.tree.root, is_triage=True
    )
    stray = Mailbox.objects.create(
        address="post@demo.luukku.test", name="Post", org_unit=desk.tree.housing_north
    )
    route_email(_mail("Hvem svarer her?"), stray)
    assert Case.objects.get(subject="Hvem svarer her?").queue == triage


def test_open_case_through_the_api_runs_the_rules(desk: Desk) -> None:
    _rule(
        desk,
        name="VIP",
        conditions=[{"field": "customer.last_name", "op": "is", "value": "virtanen"}],
        actions={"priority": "high"},
    )
    case = open_case(
        queue=desk.housing,
        subject="Question",
        by=None,
        person=desk.customer,
        first=NewMessage(text="Hello"),
    )
    case.refresh_from_db()
    assert case.priority == "high"
