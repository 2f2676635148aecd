"""Segment rules: each kind of condition selects the right people in one query; a rule
that cannot work is refused with each reason and where it sits."""

from __future__ import annotations

from typing import Any

import pytest

from luukku.customers.models import Person
from luukku.segments.compiler import compile_rule, scope_of
from luukku.segments.models import Segment
from luukku.segments.services import check_rule
from tests.segments.conftest import FOUR_CONDITIONS, People

pytestmark = pytest.mark.django_db


def names(people: People, rule: dict[str, Any]) -> list[str]:
    query = Person.objects.filter(compile_rule(rule, scope_of(people.tree.root)))
    return sorted(query.values_list("first_name", flat=True))


@pytest.mark.smoke
def test_the_four_condition_question_in_one_query(
    people: People, django_assert_max_num_queries: Any
) -> None:
    rule = compile_rule(FOUR_CONDITIONS, scope_of(people.tree.root))  # reads the purpose
    with django_assert_max_num_queries(1):
        found = sorted(Person.objects.filter(rule).values_list("first_name", flat=True))
    assert found == ["Anna"]


@pytest.mark.smoke
def test_each_kind_of_condition(people: People) -> None:
    attribute = {"kind": "attribute"}
    assert names(people, {**attribute, "field": "age", "op": "gte", "value": 30}) == [
        "Cecilie",
        "Frida",
    ]
    assert names(people, {**attribute, "field": "age", "op": "eq", "value": 25}) == [
        "Anna",
        "Bjorn",
    ]
    assert names(people, {**attribute, "field": "city", "op": "in", "value": ["Bergen"]}) == ["Dag"]
    assert names(people, {**attribute, "field": "first_name", "op": "regex", "value": "^[AB]"}) == [
        "Anna",
        "Bjorn",
    ]
    assert names(people, {"kind": "relationship", "type": "tenant"}) == [
        "Anna"
    ]  # Cecilie moved out
    consent = {"kind": "consent", "purpose": "news", "channel": "email"}
    assert "Eva" not in names(people, {**consent, "state": "contactable"})
    assert names(people, {**consent, "state": "withdrawn"}) == []
    event = {"kind": "event", "type": "campaign.clicked"}
    assert names(people, {**event, "within_days": 90}) == ["Anna", "Bjorn", "Cecilie", "Dag", "Eva"]
    assert names(people, {**event, "count": {"op": "lte", "value": 0}}) == []
    assert names(
        people,
        {**event, "where": [{"path": "link", "op": "eq", "value": "https://example.test/a"}]},
    ) == [
        "Anna",
        "Bjorn",
        "Cecilie",
        "Dag",
        "Eva",
    ]
    assert names(people, {"not": {**event, "within_days": 90}}) == ["Frida"]
    assert names(people, {"kind": "case", "state": "open", "queue": "housing"}) == ["Bjorn"]
    assert names(
        people,
        {"any": [{**attribute, "field": "city", "op": "eq", "value": "bergen"}, {"kind": "case"}]},
    ) == ["Bjorn", "Dag"]


def test_nested_segments_and_restricted_people(people: People) -> None:
    from luukku.customers.models.parties import Sensitivity
    from luukku.segments.membership import evaluate_fully

    young = Segment.objects.create(
        name="Young",
        slug="young",
        org_unit=people.tree.root,
        rule={"kind": "attribute", "field": "age", "op": "lt", "value": 26},
    )
    evaluate_fully(young)
    assert names(people, {"kind": "segment", "segment": "young"}) == ["Anna", "Bjorn", "Dag"]
    # Dag is the health service's: restricted persons count only in its own segments.
    Person.objects.filter(pk=people.dag.pk).update(
        sensitivity=Sensitivity.RESTRICTED, org_unit=people.tree.health
    )
    rule = {"kind": "attribute", "field": "age", "op": "lt", "value": 26}
    assert names(people, rule) == ["Anna", "Bjorn"]
    in_health = Person.objects.filter(compile_rule(rule, scope_of(people.tree.health)))
    assert sorted(in_health.values_list("first_name", flat=True)) == ["Anna", "Bjorn", "Dag"]


def test_a_rule_that_cannot_work_is_refused_with_each_reason(people: People) -> None:
    Segment.objects.create(
        name="A", slug="a", org_unit=people.tree.root, rule={"kind": "segment", "segment": "b"}
    )
    problems = check_rule(
        {
            "all": [
                {"kind": "attribute", "field": "custom.shoe_size", "op": "eq", "value": 42},
                {"kind": "attribute", "field": "first_name", "op": "regex", "value": "(["},
                {"kind": "event", "type": "x.y", "since": "2026-06-01", "until": "2026-01-01"},
                {"kind": "segment", "segment": "gone"},
                {"kind": "consent", "purpose": "news", "channel": "letter", "state": "granted"},
                {"kind": "attribute", "field": "age", "op": "between", "value": [30, 19]},
                {"any": []},
            ]
        }
    )
    assert problems == [
        "all.0: no custom field custom.shoe_size.",
        "all.1: the regular expression does not compile: unterminated character set at position 1",
        "all.2: the date window is in the wrong order: 2026-06-01 is after 2026-01-01.",
        "all.3: no segment gone.",
        "all.4: the purpose does not cover letter.",
        "all.5: the range is in the wrong order: 30 is after 19.",
        "all.6.any: an empty group.",
    ]
    b = Segment(name="B", slug="b", org_unit=people.tree.root)
    assert check_rule({"kind": "segment", "segment": "a"}, segment=b) == [
        "Segments would contain each other: b → a → b"
    ]
