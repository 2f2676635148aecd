"""A rule compiled to one filter on persons, so PostgreSQL (or the embedded SQLite) answers
it in one query: conditions on other tables become semi-joins (EXISTS, IN), never loops
over persons in Python.

Every condition sees only what the segment's unit may see: persons, events and cases
that are restricted (the health service's, say) count only in segments of their unit.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Exists, Max, OuterRef, Q
from django.utils import timezone

from luukku.consent.models import Action, ConsentState, LawfulBasis, Purpose
from luukku.core.models import OrgUnit
from luukku.customers.models import EmailAddress, Event, PhoneNumber, PostalAddress, Relationship
from luukku.customers.models.parties import Channel, Sensitivity
from luukku.desk.models import DONE, Case
from luukku.segments.models import Membership, Segment

NOTHING = Q(pk__in=[])


@dataclass(frozen=True)
class Scope:
    """What a segment's conditions may look at: its unit's reach, and the moment."""

    restricted_units: list[int]  # units whose restricted persons, events and cases count
    now: datetime.datetime

    @property
    def today(self) -> datetime.date:
        return timezone.localtime(self.now).date()

    def visible(self, prefix: str = "") -> Q:
        return Q(**{f"{prefix}sensitivity": Sensitivity.NORMAL}) | Q(
            **{f"{prefix}org_unit__in": self.restricted_units}
        )


def scope_of(unit: OrgUnit, now: datetime.datetime | None = None) -> Scope:
    """A top-level unit reaches its own restricted data; a unit below, its subtree's (as a
    person's role does: core.access.units_for_restricted)."""
    if unit.depth == 0:
        units = [unit.pk]
    else:
        units = list(
            OrgUnit.objects.filter(path__startswith=unit.path).values_list("pk", flat=True)
        )
    return Scope(units, now or timezone.now())


def compile_rule(rule: dict[str, Any], scope: Scope) -> Q:
    """The persons the rule selects, among those the scope may see."""
    return scope.visible() & _node(rule, scope)


def _node(node: dict[str, Any], scope: Scope) -> Q:
    if "all" in node:
        combined = Q()
        for child in node["all"]:
            combined &= _node(child, scope)
        return combined
    if "any" in node:
        parts = [_node(child, scope) for child in node["any"]]
        combined = parts[0]
        for part in parts[1:]:
            combined |= part
        return combined
    if "not" in node:
        return ~_node(node["not"], scope)
    return _CONDITIONS[node["kind"]](node, scope)


# Attributes ------------------------------------------------------------------------


def _compare(column: str, op: str, value: Any) -> Q:
    if op == "eq":
        return Q(**{column: value})
    if op == "ne":
        return ~Q(**{column: value})
    if op == "in":
        return Q(**{f"{column}__in": value})
    if op == "not_in":
        return ~Q(**{f"{column}__in": value})
    if op == "contains":
        return Q(**{f"{column}__icontains": value})
    if op == "starts_with":
        return Q(**{f"{column}__istartswith": value})
    if op == "regex":
        return Q(**{f"{column}__regex": value})
    if op in ("gt", "gte", "lt", "lte"):
        return Q(**{f"{column}__{op}": value})
    if op == "between":
        return Q(**{f"{column}__gte": value[0], f"{column}__lte": value[1]})
    raise ValueError(op)


def _empty(column: str) -> Q:
    return Q(**{f"{column}__isnull": True}) | Q(**{column: ""})


def _attribute(node: dict[str, Any], scope: Scope) -> Q:
    field, op, value = node["field"], node["op"], node.get("value")
    if field == "age":
        return _age(op, value, scope.today)
    if field in ("has_email", "has_phone"):
        has = reachable(Channel.EMAIL if field == "has_email" else Channel.SMS)
        return has if op == "is_true" else ~has
    if field in ("city", "postal_code"):
        if op in ("is_set", "is_not_set"):
            has = Q(Exists(PostalAddress.objects.filter(person=OuterRef("pk"))))
            return has if op == "is_set" else ~has
        negative = op in ("ne", "not_in")
        positive = {"ne": "eq", "not_in": "in"}.get(op, op)
        lookup = (
            Q(**{f"{field}__iexact": value})
            if positive == "eq"
            else _compare(field, positive, value)
        )
        found = Q(Exists(PostalAddress.objects.filter(lookup, person=OuterRef("pk"))))
        return ~found if negative else found
    column = field.replace("custom.", "custom__", 1) if field.startswith("custom.") else field
    if op == "is_set":
        return (
            ~_empty(column)
            if not field.startswith("custom.")
            else Q(**{f"{column}__isnull": False})
        )
    if op == "is_not_set":
        return (
            _empty(column) if not field.startswith("custom.") else Q(**{f"{column}__isnull": True})
        )
    if op == "is_true":
        return Q(**{column: True})
    if op == "is_false":
        return ~Q(**{column: True})
    if field in ("date_of_birth", "created_at"):
        value = [_day(v) for v in value or []] if op == "between" else _day(value)
        if field == "created_at":
            column = "created_at__date"
    if op == "eq" and field in ("first_name", "last_name"):
        return Q(**{f"{column}__iexact": value})
    return _compare(column, op, value)


def _day(value: Any) -> datetime.date:
    return datetime.date.fromisoformat(str(value))


def _years_before(day: datetime.date, years: int) -> datetime.date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)


def _age(op: str, value: Any, today: datetime.date) -> Q:
    """Age on `today` as a range of birth dates, so the date-of-birth index serves it:
    aged n means born after today n+1 years ago and no later than today n years ago."""
    if op in ("is_set", "is_not_set"):
        return Q(date_of_birth__isnull=op == "is_not_set")

    def at_least(n: int) -> Q:
        return Q(date_of_birth__lte=_years_before(today, n))

    def at_most(n: int) -> Q:
        return Q(date_of_birth__gt=_years_before(today, n + 1))

    if op == "between":
        return at_least(int(value[0])) & at_most(int(value[1]))
    n = int(value)
    return {
        "eq": at_least(n) & at_most(n),
        "ne": ~(at_least(n) & at_most(n)) & Q(date_of_birth__isnull=False),
        "gt": at_least(n + 1),
        "gte": at_least(n),
        "lt": at_most(n - 1),
        "lte": at_most(n),
    }[op]


# Relationships, consent, segments, cases -------------------------------------------------


def _relationship(node: dict[str, Any], scope: Scope) -> Q:
    rows = Relationship.objects.valid_on(scope.today).filter(
        scope.visible(), type__code=node["type"]
    )
    if node.get("organization"):
        rows = rows.filter(other_organization_id=node["organization"])
    if node.get("other_person"):
        rows = rows.filter(other_person_id=node["other_person"])
    return Q(pk__in=rows.values("person_id"))


def _consent(node: dict[str, Any], scope: Scope) -> Q:
    purpose = Purpose.objects.filter(slug=node["purpose"]).first()
    if purpose is None:
        return NOTHING
    channel, state = node["channel"], node["state"]
    states = ConsentState.objects.filter(purpose=purpose, channel=channel)
    if state != "contactable":
        return Q(pk__in=states.filter(action=state).values("person_id"))
    return contactable(purpose, channel)


def contactable(purpose: Purpose, channel: str) -> Q:
    """`consent.gate.may_contact` as a filter: the same answers, for everyone at once."""
    if not purpose.is_active or channel not in purpose.channels:
        return NOTHING
    reach = reachable(channel)
    if purpose.lawful_basis == LawfulBasis.LEGAL_OBLIGATION:
        return reach
    blocked = ConsentState.objects.filter(
        purpose__isnull=True, channel__in=[channel, ""], action=Action.WITHDRAWN
    )
    mine = ConsentState.objects.filter(purpose=purpose, channel=channel)
    allowed = reach & ~Q(pk__in=blocked.values("person_id"))
    if purpose.lawful_basis == LawfulBasis.CONSENT:
        return allowed & Q(pk__in=mine.filter(action=Action.GRANTED).values("person_id"))
    return allowed & ~Q(pk__in=mine.filter(action=Action.WITHDRAWN).values("person_id"))


def reachable(channel: str) -> Q:
    if channel == Channel.EMAIL:
        rows: Any = EmailAddress.objects.filter(person=OuterRef("pk"), bounced_at__isnull=True)
    elif channel in (Channel.SMS, Channel.PHONE):
        rows = PhoneNumber.objects.filter(person=OuterRef("pk"))
    else:
        rows = PostalAddress.objects.filter(person=OuterRef("pk"))
    return Q(Exists(rows))


def _segment(node: dict[str, Any], scope: Scope) -> Q:
    other = Segment.objects.filter(slug=node["segment"]).values_list("pk", flat=True).first()
    if other is None:
        return NOTHING
    return Q(pk__in=Membership.objects.filter(segment_id=other).values("person_id"))


def _case(node: dict[str, Any], scope: Scope) -> Q:
    cases = Case.objects.filter(scope.visible(), person__isnull=False)
    if node.get("state") == "open":
        cases = cases.exclude(status__in=DONE)
    if node.get("queue"):
        cases = cases.filter(queue__slug=node["queue"])
    if node.get("category"):
        cases = cases.filter(category_id=node["category"])
    if node.get("within_days"):
        cases = cases.filter(
            created_at__gte=scope.now - datetime.timedelta(days=node["within_days"])
        )
    return Q(pk__in=cases.values("person_id"))


# Events ---------------------------------------------------------------------------


def _event(node: dict[str, Any], scope: Scope) -> Q:
    events = Event.objects.filter(scope.visible(), type=node["type"])
    if node.get("within_days"):
        events = events.filter(
            occurred_at__gte=scope.now - datetime.timedelta(days=node["within_days"])
        )
    if node.get("since"):
        events = events.filter(occurred_at__date__gte=_day(node["since"]))
    if node.get("until"):
        events = events.filter(occurred_at__date__lte=_day(node["until"]))
    for condition in node.get("where") or []:
        column = "payload__" + str(condition["path"]).replace(".", "__")
        events = events.filter(_compare(column, condition.get("op", "eq"), condition.get("value")))
    per_person = events.values("person_id")
    count = node.get("count")
    last = node.get("last")
    if last:
        moment = _day(last["value"])
        latest = per_person.annotate(latest=Max("occurred_at"))
        having = (
            {"latest__date__lt": moment} if last["op"] == "before" else {"latest__date__gt": moment}
        )
        return Q(pk__in=latest.filter(**having).values("person_id"))
    if not count or (count["op"] == "gte" and count["value"] <= 1):
        if count and count["value"] == 0:
            return Q()  # at least none: everyone
        return Q(pk__in=per_person)
    n = int(count["value"])
    counted = per_person.annotate(times=Count("id"))
    if count["op"] == "gte":
        return Q(pk__in=counted.filter(times__gte=n).values("person_id"))
    if count["op"] == "lte":  # none at all counts too
        return ~Q(pk__in=counted.filter(times__gt=n).values("person_id"))
    if n == 0:
        return ~Q(pk__in=per_person)
    return Q(pk__in=counted.filter(times=n).values("person_id"))


_CONDITIONS = {
    "attribute": _attribute,
    "relationship": _relationship,
    "consent": _consent,
    "event": _event,
    "segment": _segment,
    "case": _case,
}
