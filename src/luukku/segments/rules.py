"""A segment's rule: a tree of AND ("all"), OR ("any") and NOT ("not") over conditions
on a person's attributes, relationships, consents, timeline events, cases and other
segments. Checked before it is saved (each problem named by where it sits in the tree),
and read for what it depends on. `compiler.py` turns it into one query.

Conditions ("kind"):
- attribute: {"field", "op", "value"}: first_name, last_name, gender, preferred_language,
  preferred_channel, date_of_birth, age, city, postal_code, has_email, has_phone,
  created_at, custom.<key>
- relationship: {"type": <code>, "organization": <id>?, "other_person": <id>?}, in force
  on the day of evaluation
- consent: {"purpose": <slug>, "channel", "state": granted | withdrawn | pending |
  contactable}
- event: {"type", "where": [{"path", "op", "value"}]?, "within_days"? | "since"?,
  "until"?, "count": {"op": gte | lte | eq, "value"}?, "last": {"op": before | after,
  "value": <date>}?}
- segment: {"segment": <slug>}
- case: {"state": open | any, "queue": <slug>?, "category": <id>?, "within_days"?}
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Iterator
from typing import Any

from django.utils.translation import gettext as _

GROUPS = ("all", "any", "not")
KINDS = ("attribute", "relationship", "consent", "event", "segment", "case")
TEXT_FIELDS = (
    "first_name",
    "last_name",
    "gender",
    "preferred_language",
    "preferred_channel",
    "city",
    "postal_code",
)
DATE_FIELDS = ("date_of_birth", "created_at")
FLAG_FIELDS = ("has_email", "has_phone")
OPS: dict[str, tuple[str, ...]] = {
    "text": (
        "eq",
        "ne",
        "in",
        "not_in",
        "contains",
        "starts_with",
        "regex",
        "is_set",
        "is_not_set",
    ),
    "number": ("eq", "ne", "gt", "gte", "lt", "lte", "between", "is_set", "is_not_set"),
    "date": ("eq", "gt", "gte", "lt", "lte", "between", "is_set", "is_not_set"),
    "flag": ("is_true", "is_false"),
}
CONSENT_STATES = ("granted", "withdrawn", "pending", "contactable")
COUNT_OPS = ("gte", "lte", "eq")
MAX_DEPTH = 8
MAX_CONDITIONS = 50


def field_type(field: str) -> str | None:
    if field in TEXT_FIELDS:
        return "text"
    if field in DATE_FIELDS:
        return "date"
    if field == "age":
        return "number"
    if field in FLAG_FIELDS:
        return "flag"
    if field.startswith("custom."):
        return "custom"
    return None


def nodes(rule: dict[str, Any], path: str = "") -> Iterator[tuple[str, dict[str, Any]]]:
    """Every condition of the tree with its path (e.g. "all.1.any.0")."""
    for group in GROUPS:
        if group in rule:
            children = rule[group] if group != "not" else [rule[group]]
            for index, child in enumerate(children):
                here = f"{path}{group}.{index}" if group != "not" else f"{path}not"
                if isinstance(child, dict):
                    yield from nodes(child, f"{here}.")
            return
    yield path.rstrip("."), rule


def depends_on(rule: dict[str, Any], segment_ids: dict[str, int]) -> list[str]:
    """What changes may move someone into or out of the segment."""
    found: set[str] = set()
    for _path, node in nodes(rule):
        kind = node.get("kind")
        if kind == "attribute":
            found.add("person")
            if node.get("field") in ("age", "created_at"):
                found.add("time")
        elif kind == "event":
            found.add(f"event:{node.get('type')}")
            if node.get("within_days") or node.get("last"):
                found.add("time")
        elif kind == "segment" and node.get("segment") in segment_ids:
            found.add(f"segment:{segment_ids[node['segment']]}")
        elif kind == "case":
            found.add("case")
            if node.get("within_days"):
                found.add("time")
        elif kind in ("relationship", "consent"):
            found.add(str(kind))
            if kind == "relationship":
                found.add("time")  # validity runs out with the days
    return sorted(found)


class RuleChecker:
    """Collects every problem of a rule, each with its place in the tree. What exists
    (fields, purposes, queues, segments) is passed in, so this module reads no database."""

    def __init__(
        self,
        *,
        custom_fields: dict[str, str],
        purposes: dict[str, list[str]],
        queues: set[str],
        segments: set[str],
        relationship_types: set[str],
    ) -> None:
        self.custom_fields = custom_fields  # key: kind
        self.purposes = purposes  # slug: channels
        self.queues = queues
        self.segments = segments
        self.relationship_types = relationship_types
        self.problems: list[str] = []
        self.count = 0

    def check(self, rule: Any) -> list[str]:
        if not isinstance(rule, dict) or not rule:
            return [_("The rule is empty: give it at least one condition.")]
        self._node(rule, "", 0)
        if self.count > MAX_CONDITIONS:
            self.problems.append(
                _("At most %(count)s conditions in one rule.") % {"count": MAX_CONDITIONS}
            )
        return self.problems

    def _say(self, path: str, message: str) -> None:
        self.problems.append(f"{path or _('rule')}: {message}")

    def _node(self, node: Any, path: str, depth: int) -> None:
        if not isinstance(node, dict):
            self._say(path, _("a condition or group must be an object."))
            return
        if depth > MAX_DEPTH:
            self._say(path, _("groups nest at most %(depth)s deep.") % {"depth": MAX_DEPTH})
            return
        groups = [g for g in GROUPS if g in node]
        if groups:
            group = groups[0]
            here = f"{path}.{group}" if path else group
            if len(node) != 1:
                self._say(path, _("a group holds only its list of conditions."))
                return
            if group == "not":
                self._node(node["not"], here, depth + 1)
                return
            children = node[group]
            if not isinstance(children, list) or not children:
                self._say(here, _("an empty group."))
                return
            for index, child in enumerate(children):
                self._node(child, f"{here}.{index}", depth + 1)
            return
        self.count += 1
        kind = node.get("kind")
        if kind not in KINDS:
            self._say(path, _("unknown kind of condition: %(kind)s") % {"kind": kind})
            return
        getattr(self, f"_{kind}")(node, path)

    def _attribute(self, node: dict[str, Any], path: str) -> None:
        field = str(node.get("field", ""))
        kind = field_type(field)
        if kind == "custom":
            custom = self.custom_fields.get(field.removeprefix("custom."))
            if custom is None:
                self._say(path, _("no custom field %(name)s.") % {"name": field})
                return
            kind = {"number": "number", "date": "date", "boolean": "flag"}.get(custom, "text")
        if kind is None:
            self._say(path, _("unknown field: %(name)s") % {"name": field})
            return
        op = node.get("op")
        if op not in OPS[kind]:
            self._say(
                path, _("%(field)s cannot be compared with %(op)s.") % {"field": field, "op": op}
            )
            return
        self._value(node.get("value"), kind, str(op), path)

    def _value(self, value: Any, kind: str, op: str, path: str) -> None:
        if op in ("is_set", "is_not_set", "is_true", "is_false"):
            return
        if op in ("in", "not_in"):
            if not isinstance(value, list) or not value:
                self._say(path, _("give a list of values."))
            return
        if op == "regex":
            try:
                re.compile(str(value))
            except re.error as error:
                self._say(
                    path, _("the regular expression does not compile: %(error)s") % {"error": error}
                )
            return
        if op == "between":
            if not isinstance(value, list) or len(value) != 2:
                self._say(path, _("between needs two values, the lower first."))
                return
            low, high = (self._scalar(v, kind, path) for v in value)
            if low is not None and high is not None and low > high:
                self._say(
                    path,
                    _("the range is in the wrong order: %(low)s is after %(high)s.")
                    % {"low": value[0], "high": value[1]},
                )
            return
        self._scalar(value, kind, path)

    def _scalar(self, value: Any, kind: str, path: str) -> Any:
        if kind == "number":
            if isinstance(value, bool) or not isinstance(value, int | float):
                self._say(path, _("%(value)s is not a number.") % {"value": value})
                return None
            return value
        if kind == "date":
            return self._date(value, path)
        if value in (None, ""):
            self._say(path, _("give a value."))
        return value

    def _date(self, value: Any, path: str) -> datetime.date | None:
        try:
            return datetime.date.fromisoformat(str(value))
        except ValueError:
            self._say(path, _("%(value)s is not a date (YYYY-MM-DD).") % {"value": value})
            return None

    def _relationship(self, node: dict[str, Any], path: str) -> None:
        if node.get("type") not in self.relationship_types:
            self._say(path, _("no relationship type %(code)s.") % {"code": node.get("type")})

    def _consent(self, node: dict[str, Any], path: str) -> None:
        channels = self.purposes.get(str(node.get("purpose")))
        if channels is None:
            self._say(path, _("no purpose %(slug)s.") % {"slug": node.get("purpose")})
            return
        if node.get("channel") not in channels:
            self._say(
                path,
                _("the purpose does not cover %(channel)s.") % {"channel": node.get("channel")},
            )
        if node.get("state") not in CONSENT_STATES:
            self._say(path, _("unknown consent state: %(state)s") % {"state": node.get("state")})

    def _event(self, node: dict[str, Any], path: str) -> None:
        if not str(node.get("type") or "").strip():
            self._say(path, _("name the type of event."))
        within = node.get("within_days")
        if within is not None and (
            not isinstance(within, int) or isinstance(within, bool) or within < 1
        ):
            self._say(path, _("within_days must be a whole number of days, 1 or more."))
        since, until = node.get("since"), node.get("until")
        if within is not None and since is not None:
            self._say(path, _("give within_days or since, not both."))
        first = self._date(since, path) if since is not None else None
        last = self._date(until, path) if until is not None else None
        if first is not None and last is not None and first > last:
            self._say(
                path,
                _("the date window is in the wrong order: %(since)s is after %(until)s.")
                % {"since": since, "until": until},
            )
        count = node.get("count")
        if count is not None:
            if not isinstance(count, dict) or count.get("op") not in COUNT_OPS:
                self._say(path, _("count needs an op of gte, lte or eq."))
            elif not isinstance(count.get("value"), int) or count["value"] < 0:
                self._say(path, _("count needs a whole number, 0 or more."))
        last_seen = node.get("last")
        if last_seen is not None:
            if not isinstance(last_seen, dict) or last_seen.get("op") not in ("before", "after"):
                self._say(path, _("last needs an op of before or after."))
            else:
                self._date(last_seen.get("value"), path)
        for index, condition in enumerate(node.get("where") or []):
            here = f"{path}.where.{index}"
            if not isinstance(condition, dict) or not str(condition.get("path") or "").strip():
                self._say(here, _("name the detail to compare."))
                continue
            if not re.fullmatch(r"[A-Za-z0-9_]+(\.[A-Za-z0-9_]+)*", str(condition["path"])):
                self._say(
                    here, _("a detail's name is letters, digits and _, parts joined by dots.")
                )
            op = condition.get("op", "eq")
            if op not in ("eq", "ne", "in", "contains", "gt", "gte", "lt", "lte"):
                self._say(here, _("unknown comparison: %(op)s") % {"op": op})

    def _segment(self, node: dict[str, Any], path: str) -> None:
        if node.get("segment") not in self.segments:
            self._say(path, _("no segment %(slug)s.") % {"slug": node.get("segment")})

    def _case(self, node: dict[str, Any], path: str) -> None:
        if node.get("state", "any") not in ("open", "any"):
            self._say(path, _("a case's state is open or any."))
        queue = node.get("queue")
        if queue is not None and queue not in self.queues:
            self._say(path, _("no queue %(slug)s.") % {"slug": queue})
        within = node.get("within_days")
        if within is not None and (
            not isinstance(within, int) or isinstance(within, bool) or within < 1
        ):
            self._say(path, _("within_days must be a whole number of days, 1 or more."))


def segments_named(rule: dict[str, Any]) -> set[str]:
    return {str(n.get("segment")) for _p, n in nodes(rule) if n.get("kind") == "segment"}
