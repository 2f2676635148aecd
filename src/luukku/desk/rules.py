"""Routing rules: what a case is (its facts), which rules it meets, and what they do.

Rules are checked on save (`check_rule`: an unknown field or operator, a regular
expression that does not compile, a custom field that no longer exists, an action
naming a queue or person that does not exist: each refused with the reason) and
compiled once per change of the rule set (`compiled_rules`), so deciding for a case is
a walk over prepared predicates. `decide` says what would happen, without doing it; the
admin page's "what would happen" and the real run (`desk/routing_run.py`) both use it.
"""

from __future__ import annotations

import datetime
import re
import time
import zoneinfo
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import Count, Max
from django.db.models.signals import post_delete, post_save
from django.utils import timezone
from django.utils.translation import gettext as _

from luukku.core.models import Team, User
from luukku.customers.models import CustomField, Relationship
from luukku.desk import segment_directory
from luukku.desk.models import (
    Case,
    Category,
    Priority,
    Queue,
    RoutingRule,
    SlaPolicy,
    StandardAnswer,
)

PERSON_FIELDS = ("first_name", "last_name", "preferred_language", "gender", "preferred_channel")
FIELDS = (
    "channel",
    "mailbox",
    "sender",
    "sender_domain",
    "subject",
    "body",
    "text",
    "language",
    "category",
    "priority",
    "queue",
    "time",
    "weekday",
    "relationship",
    "segment",
)
SET_FIELDS = {"category", "relationship", "segment"}  # facts that are sets: is/in mean "has any"
OPS = (
    "is",
    "is_not",
    "in",
    "not_in",
    "contains",
    "not_contains",
    "starts_with",
    "ends_with",
    "matches",
    "between",
    "exists",
    "missing",
)
ACTIONS = (
    "queue",
    "priority",
    "category",
    "tags",
    "sla_policy",
    "assign_user",
    "assign_team",
    "answer",
)
_TIME_RANGE = re.compile(r"^(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})$")

Facts = dict[str, Any]
Predicate = Callable[[Facts], bool]


# Facts ------------------------------------------------------------------------------


def facts_for(case: Case, *, sender: str = "", mailbox: str = "", text: str = "") -> Facts:
    """What rules can ask about the case (the first message's sender, mailbox and text
    are given by the caller that has them, or read from the case)."""
    if not (sender or text):
        first = case.messages.order_by("created_at", "pk").first()
        if first is not None:
            sender, text = first.sender, first.body_text
    person = case.person
    local = timezone.now().astimezone(zoneinfo.ZoneInfo(case.org_unit.time_zone))
    facts: Facts = {
        "channel": case.channel,
        "mailbox": mailbox.lower(),
        "sender": sender.lower(),
        "sender_domain": sender.lower().rpartition("@")[2] if "@" in sender else "",
        "subject": case.subject,
        "body": text,
        "text": f"{case.subject}\n{text}",
        "language": (person.preferred_language if person else "") or "",
        "category": Category.line_of(case.category_id),
        "priority": case.priority,
        "queue": case.queue.slug,
        "time": local.time(),
        "weekday": local.weekday(),
        "_person": person,
    }
    return facts


def relationship_codes(person_id: int | None) -> set[str]:
    """The codes of the person's relationships in force today."""
    if person_id is None:
        return set()
    rows = Relationship.objects.filter(person_id=person_id).valid_on(timezone.localdate())
    return set(rows.values_list("type__code", flat=True))


def _fact(facts: Facts, name: str) -> Any:
    """A fact, read on first use for those that cost a query."""
    if name in facts:
        return facts[name]
    person = facts.get("_person")
    if name == "relationship":
        value: Any = relationship_codes(person.pk if person is not None else None)
    elif name == "segment":
        value = segment_directory.segments_of(person.pk if person is not None else None)
    elif name.startswith("customer.custom."):
        value = (person.custom or {}).get(name.removeprefix("customer.custom.")) if person else None
    elif name.startswith("customer."):
        value = getattr(person, name.removeprefix("customer."), None) if person else None
    else:
        value = None
    facts[name] = value
    return value


# Checking ---------------------------------------------------------------------------


def _field_problem(name: str) -> str:
    if name in FIELDS:
        return ""
    if name.startswith("customer.custom."):
        key = name.removeprefix("customer.custom.")
        if not CustomField.objects.filter(entity="person", key=key).exists():
            return _("the customer field “%(key)s” does not exist (any more)") % {"key": key}
        return ""
    if name.startswith("customer.") and name.removeprefix("customer.") in PERSON_FIELDS:
        return ""
    return _("unknown field “%(name)s”") % {"name": name}


def _condition_problem(condition: Any) -> str:
    if not isinstance(condition, dict) or set(condition) - {"field", "op", "value"}:
        return _("a condition has a field, an operator and a value")
    name, op, value = condition.get("field", ""), condition.get("op", ""), condition.get("value")
    if problem := _field_problem(str(name)):
        return problem
    if op not in OPS:
        return _("unknown operator “%(op)s”") % {"op": op}
    if op == "matches":
        try:
            re.compile(str(value))
        except re.error as error:
            return _("the regular expression “%(value)s” is invalid: %(error)s") % {
                "value": value,
                "error": error,
            }
    if op == "between" and not _TIME_RANGE.match(str(value)):
        return _("“between” takes a time range such as 08:00-16:00")
    if op in ("in", "not_in") and not isinstance(value, list):
        return _("“%(op)s” takes a list of values") % {"op": op}
    if name == "segment" and op in ("is", "is_not", "in", "not_in"):
        named = [str(v) for v in (value if isinstance(value, list) else [value])]
        missing = sorted(set(named) - segment_directory.existing(named))
        if missing:
            return _("no segment “%(names)s” (any more)") % {"names": ", ".join(missing)}
    return ""


def _action_problem(name: str, value: Any) -> str:
    exists: dict[str, Callable[[Any], bool]] = {
        "queue": lambda v: Queue.objects.filter(slug=v, is_active=True).exists(),
        "priority": lambda v: v in Priority.values,
        "category": lambda v: Category.objects.filter(pk=_int(v)).exists(),
        "tags": lambda v: isinstance(v, list) and all(isinstance(t, str) and t for t in v),
        "sla_policy": lambda v: SlaPolicy.objects.filter(pk=_int(v)).exists(),
        "assign_user": lambda v: User.objects.filter(username=v, is_active=True).exists(),
        "assign_team": lambda v: Team.objects.filter(pk=_int(v)).exists(),
        "answer": lambda v: StandardAnswer.objects.filter(pk=_int(v)).exists(),
    }
    if name not in exists:
        return _("unknown action “%(name)s”") % {"name": name}
    if not exists[name](value):
        return _("the action “%(name)s” names what does not exist: %(value)s") % {
            "name": name,
            "value": value,
        }
    return ""


def _int(value: Any) -> int:
    return value if isinstance(value, int) else -1


def check_rule(rule: RoutingRule) -> None:
    """Refuse a rule that could not run as written, saying what is wrong and where."""
    if not isinstance(rule.conditions, list):
        raise ValidationError(_("Conditions must be a list."))
    problems = []
    for number, condition in enumerate(rule.conditions, start=1):
        if problem := _condition_problem(condition):
            problems.append(_("Condition %(n)s: %(problem)s.") % {"n": number, "problem": problem})
    if not isinstance(rule.actions, dict):
        raise ValidationError(_("Actions must map an action to its value."))
    for name, value in rule.actions.items():
        if problem := _action_problem(name, value):
            problems.append(_("Action: %(problem)s.") % {"problem": problem})
    if problems:
        raise ValidationError(problems)


# Compiling and deciding -------------------------------------------------------------


def _text(value: Any) -> str:
    return "" if value is None else str(value).lower()


def _between(value: str) -> Callable[[Any], bool]:
    match = _TIME_RANGE.match(value)
    assert match is not None  # checked on save
    start = datetime.time(int(match[1]) % 24, int(match[2]))
    end = datetime.time(int(match[3]) % 24, int(match[4]))
    if start <= end:
        return lambda t: isinstance(t, datetime.time) and start <= t < end
    return lambda t: isinstance(t, datetime.time) and (t >= start or t < end)  # overnight


def _compile_condition(condition: dict[str, Any]) -> Predicate:
    name, op, value = condition["field"], condition["op"], condition.get("value")
    if name in SET_FIELDS:
        wanted = {v for v in (value if isinstance(value, list) else [value])}
        if op in ("is", "in"):
            return lambda f: bool(_fact(f, name) & wanted)
        if op in ("is_not", "not_in"):
            return lambda f: not _fact(f, name) & wanted
        if op == "exists":
            return lambda f: bool(_fact(f, name))
        return lambda f: not _fact(f, name)
    test: Callable[[Any], bool]
    if op == "matches":
        pattern = re.compile(str(value), re.IGNORECASE)
        test = lambda v: bool(pattern.search(_text(v)))  # noqa: E731
    elif op == "between":
        test = _between(str(value))
    elif op in ("in", "not_in"):
        options = {_text(v) for v in value or []}
        test = lambda v: _text(v) in options  # noqa: E731
    elif op in ("exists", "missing"):
        test = lambda v: v not in (None, "", [], {})  # noqa: E731
    else:
        needle = _text(value)
        test = {
            "is": lambda v: _text(v) == needle,
            "is_not": lambda v: _text(v) == needle,
            "contains": lambda v: needle in _text(v),
            "not_contains": lambda v: needle in _text(v),
            "starts_with": lambda v: _text(v).startswith(needle),
            "ends_with": lambda v: _text(v).endswith(needle),
        }[op]
    negate = op in ("is_not", "not_in", "not_contains", "missing")
    return lambda f: test(_fact(f, name)) != negate


@dataclass
class Compiled:
    rule_id: int
    name: str
    unit_path: str
    trigger: str
    actions: dict[str, Any]
    stop: bool
    predicates: list[Predicate]
    any_of: bool

    def meets(self, facts: Facts) -> bool:
        if not self.predicates:
            return True
        tests = (p(facts) for p in self.predicates)
        return any(tests) if self.any_of else all(tests)


_compiled: dict[str, Any] = {"key": None, "rules": [], "checked": 0.0}
CHECK_SECONDS = 2.0  # another process's change of a rule is seen within this time


def forget_rules(*_args: Any, **_kwargs: Any) -> None:
    """Check the rule set again at the next case (connected to saving a rule here)."""
    _compiled["checked"] = 0.0


post_save.connect(forget_rules, sender=RoutingRule, dispatch_uid="routing-rules-saved")
post_delete.connect(forget_rules, sender=RoutingRule, dispatch_uid="routing-rules-deleted")


def compile_rule(rule: RoutingRule) -> Compiled:
    return Compiled(
        rule_id=rule.pk,
        name=rule.name,
        unit_path=rule.org_unit.path,
        trigger=rule.trigger,
        actions=dict(rule.actions),
        stop=rule.stop,
        predicates=[_compile_condition(c) for c in rule.conditions],
        any_of=rule.match == RoutingRule.Match.ANY,
    )


def compiled_rules() -> list[Compiled]:
    """Every active rule, compiled; compiled again only when a rule changed."""
    if time.monotonic() - _compiled["checked"] < CHECK_SECONDS:
        rules: list[Compiled] = _compiled["rules"]
        return rules
    _compiled["checked"] = time.monotonic()
    active = RoutingRule.objects.filter(is_active=True).select_related("org_unit")
    summary = RoutingRule.objects.aggregate(n=Count("id"), changed=Max("updated_at"))
    key = (summary["n"], summary["changed"])  # any rule, so deactivating one counts
    if key != _compiled["key"]:
        _compiled["rules"] = [compile_rule(r) for r in active]
        _compiled["key"] = key
    compiled: list[Compiled] = _compiled["rules"]
    return compiled


@dataclass
class Decision:
    """What the rules would do to a case: the rules met, in order, and the actions."""

    matched: list[str] = field(default_factory=list)
    actions: dict[str, Any] = field(default_factory=dict)

    @property
    def routed(self) -> bool:
        return bool(self.matched)


def decide(
    case: Case, facts: Facts, *, trigger: str, rules: Sequence[Compiled] | None = None
) -> Decision:
    """Walk the rules that apply to the case's unit for this trigger."""
    decision = Decision()
    path = case.org_unit.path
    for rule in compiled_rules() if rules is None else rules:
        if rule.trigger not in (trigger, RoutingRule.Trigger.BOTH):
            continue
        if not path.startswith(rule.unit_path) or not rule.meets(facts):
            continue
        decision.matched.append(rule.name)
        for name, value in rule.actions.items():
            if name == "tags":
                decision.actions["tags"] = [*decision.actions.get("tags", []), *value]
            else:
                decision.actions[name] = value
        if rule.stop:
            break
    return decision
