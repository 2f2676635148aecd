"""Two cases about one matter become one; one case about two matters becomes two."""

from __future__ import annotations

import json

import pytest

from luukku.desk.models import Case, Message
from luukku.desk.services import CaseError, NewMessage, merge_case, open_case, split_case
from tests.conftest import bearer
from tests.desk.conftest import Desk

pytestmark = pytest.mark.django_db


def case_with(desk: Desk, *texts: str, queue=None) -> Case:  # type: ignore[no-untyped-def]
    case = open_case(
        queue=queue or desk.housing,
        subject=texts[0],
        by=None,
        person=desk.customer,
        first=NewMessage(text=texts[0]),
    )
    for text in texts[1:]:
        from luukku.desk.services import receive

        receive(case, NewMessage(text=text))
    return Case.objects.get(pk=case.pk)


def test_merging_moves_every_message_and_closes_the_merged_case(desk: Desk) -> None:
    first = case_with(desk, "Leak in bathroom")
    second = case_with(desk, "Water on the floor", "Still leaking")

    survivor = merge_case(second, into=first, by=desk.kari, version=second.version)

    assert survivor == first
    assert sorted(first.messages.values_list("body_text", flat=True)) == [
        "Leak in bathroom",
        "Still leaking",
        "Water on the floor",
    ]
    second.refresh_from_db()
    assert (second.status, second.merged_into) == ("closed", first)
    with pytest.raises(CaseError, match="merged into another"):
        merge_case(case_with(desk, "Third"), into=second, by=desk.kari, version=None)


def test_splitting_moves_the_chosen_messages_to_a_child_case(desk: Desk) -> None:
    case = case_with(desk, "Leak", "Also: my key card is broken")
    key_message = case.messages.get(body_text="Also: my key card is broken")

    child = split_case(
        case, message_ids=[key_message.pk], subject="Key card", by=desk.kari, version=case.version
    )

    assert (child.subject, child.parent, child.person) == ("Key card", case, desk.customer)
    assert list(child.messages.values_list("body_text", flat=True)) == [
        "Also: my key card is broken"
    ]
    assert list(case.messages.values_list("body_text", flat=True)) == ["Leak"]
    with pytest.raises(CaseError, match="at least one"):
        split_case(
            case, message_ids=[case.messages.get().pk], subject="", by=desk.kari, version=None
        )


def test_merge_and_split_through_the_api_respect_units(desk: Desk) -> None:
    housing = case_with(desk, "Leak")
    other = case_with(desk, "Leak again")
    health = case_with(desk, "Headache", queue=desk.health)
    kari = bearer(desk.kari)

    refused = kari.post(
        f"/api/v1/cases/{other.number}/merge",
        data=json.dumps({"into": health.number, "version": other.version}),
        content_type="application/json",
    )
    assert refused.status_code == 404 and Message.objects.filter(case=other).count() == 1

    merged = kari.post(
        f"/api/v1/cases/{other.number}/merge",
        data=json.dumps({"into": housing.number, "version": other.version}),
        content_type="application/json",
    )
    assert merged.status_code == 200
    assert [m["text"] for m in merged.json()["messages"]] == ["Leak", "Leak again"]
