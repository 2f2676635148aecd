"""Working cases: one agent at a time, no lost update, history and timeline."""

from __future__ import annotations

import pytest

from luukku.customers.models import Event
from luukku.desk import access
from luukku.desk.models import Direction, HistoryEntry, Message, StatusCategory
from luukku.desk.services import (
    CaseError,
    CaseLocked,
    NewMessage,
    StaleCase,
    add_note,
    assign_case,
    change_status,
    claim_case,
    open_case,
    receive,
    reply,
)
from tests.desk.conftest import Desk

pytestmark = pytest.mark.django_db


def new_case(desk: Desk, **kwargs):  # type: ignore[no-untyped-def]
    return open_case(
        queue=kwargs.pop("queue", desk.housing),
        subject="The shower leaks",
        by=None,
        channel="email",
        person=desk.customer,
        first=NewMessage(text="Water everywhere in flat 12B.", sender="aino@example.test"),
        **kwargs,
    )


def test_a_new_case_gets_the_next_number_its_first_message_and_a_timeline_entry(
    desk: Desk,
) -> None:
    first, second = new_case(desk), new_case(desk)

    assert second.number == first.number + 1
    assert first.status == StatusCategory.NEW and first.org_unit == desk.tree.housing
    assert [m.body_text for m in first.messages.all()] == ["Water everywhere in flat 12B."]
    assert Event.objects.filter(person=desk.customer, type="desk.case_created").count() == 2
    assert HistoryEntry.objects.filter(case=first).values_list("kind", flat=True)[0] == (
        "case_created"
    )


def test_a_reply_made_against_an_old_version_is_refused_with_what_happened(desk: Desk) -> None:
    case = new_case(desk)
    seen = case.version
    add_note(case, by=desk.ola, text="Called the plumber.", version=seen)

    with pytest.raises(StaleCase) as refused:
        reply(case, by=desk.kari, text="We will come tomorrow.", version=seen)

    assert [e.kind for e in refused.value.activity] == ["note_added"]
    assert not Message.objects.filter(case=case, direction=Direction.OUTBOUND).exists()
    case.refresh_from_db()
    message = reply(case, by=desk.kari, text="We will come tomorrow.", version=case.version)
    assert message.body_text == "We will come tomorrow."
    # The housing queue has no mailbox here: the reply is kept and says why it did not go.
    assert (message.delivery, message.delivery_error) == (
        "failed",
        "The case's queue has no mailbox to send from.",
    )


def test_one_agent_at_a_time_and_taking_over_is_recorded(desk: Desk) -> None:
    case = new_case(desk)
    claim_case(case, by=desk.kari)

    with pytest.raises(CaseLocked, match="Kari"):
        claim_case(case, by=desk.ola)
    case.refresh_from_db()
    with pytest.raises(CaseLocked):
        reply(case, by=desk.ola, text="Hello", version=case.version)

    claim_case(case, by=desk.ola, take_over=True)
    case.refresh_from_db()
    reply(case, by=desk.ola, text="Hello", version=case.version)
    assert HistoryEntry.objects.filter(case=case, kind="taken_over", actor=desk.ola).exists()
    with pytest.raises(CaseLocked):
        reply(case, by=desk.kari, text="Me too", version=case.version + 1)


def test_resolving_needs_a_category_and_a_customer_answer_reopens(desk: Desk) -> None:
    case = new_case(desk)
    with pytest.raises(CaseError, match="category"):
        change_status(case, to="resolved", by=desk.kari, version=case.version)

    case.category = desk.repairs
    case.save()
    change_status(case, to="resolved", by=desk.kari, version=case.version, resolution_note="Fixed")
    case.refresh_from_db()
    assert case.status == "resolved" and case.resolution_note == "Fixed"

    receive(case, NewMessage(text="It leaks again!", sender="aino@example.test"))
    case.refresh_from_db()
    assert case.status == "open"


def test_handing_a_case_on_keeps_it_in_the_delegated_list(desk: Desk) -> None:
    case = new_case(desk)
    assign_case(case, to=desk.kari, by=desk.kari, version=case.version)
    case.refresh_from_db()
    case = assign_case(case, to=desk.ola, by=desk.kari, version=case.version)

    assert list(desk.kari.delegated_cases.all()) == [case]
    assert case.assignee == desk.ola


def test_cases_of_a_restricted_queue_are_for_its_unit_only(desk: Desk) -> None:
    housing_case = new_case(desk)
    health_case = new_case(desk, queue=desk.health)

    assert list(access.cases_visible_to(desk.nurse)) == [health_case]
    assert list(access.cases_visible_to(desk.kari)) == [housing_case]
    assert list(access.cases_visible_to(desk.analyst)) == [housing_case]
    with pytest.raises(CaseError):
        assign_case(health_case, to=desk.kari, by=desk.nurse, version=health_case.version)
    with pytest.raises(CaseError):
        add_note(housing_case, by=desk.analyst, text="Looks bad", version=None)
    restricted_events = Event.objects.filter(type="desk.case_created", sensitivity="restricted")
    assert restricted_events.count() == 1
