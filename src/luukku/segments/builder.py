"""The rule builder's form, read back into a rule: the tree travels as JSON in a hidden
field; each condition's inputs are named by its place ("c.all.0.any.1.field") and each
group's kind likewise ("g.all.1"); a button says what to do at a place ("add:all.1",
"group:all", "remove:all.0.any.1"). The page posts it all on every change and gets the
builder back with the live count."""

from __future__ import annotations

import copy
import json
from typing import Any

STEP_GROUPS = ("all", "any", "not")
NEW_CONDITION: dict[str, Any] = {"kind": "attribute", "field": "age", "op": "gte", "value": 18}
LIST_OPS = ("in", "not_in")


def parse_path(path: str) -> list[str | int]:
    """ "all.1.any.0" -> ["all", 1, "any", 0]; "" -> []."""
    steps: list[str | int] = []
    for part in path.split(".") if path else []:
        steps.append(int(part) if part.isdigit() else part)
    return steps


def node_at(rule: dict[str, Any], path: str) -> Any:
    node: Any = rule
    for step in parse_path(path):
        node = node[step]
    return node


def _parent(rule: dict[str, Any], path: str) -> tuple[Any, str | int]:
    steps = parse_path(path)
    node: Any = rule
    for step in steps[:-1]:
        node = node[step]
    return node, steps[-1]


def _number(text: str) -> Any:
    try:
        return int(text)
    except ValueError:
        try:
            return float(text)
        except ValueError:
            return text


def _value(node: dict[str, Any], text: str) -> Any:
    op = node.get("op")
    numeric = node.get("field") == "age"
    if op in LIST_OPS:
        return [v.strip() for v in text.split(",") if v.strip()]
    if op == "between":
        parts = [v.strip() for v in text.split(",") if v.strip()]
        return [_number(p) for p in parts] if numeric else parts
    return _number(text) if numeric else text


def _set(node: dict[str, Any], attr: str, text: str) -> None:
    if attr == "value":
        node["value"] = _value(node, text)
    elif attr in ("within_days", "category", "organization"):
        node[attr] = int(text) if text.strip().isdigit() else None
        if node[attr] is None:
            del node[attr]
    elif attr in ("count_op", "count_value"):
        count = node.setdefault("count", {"op": "gte", "value": 1})
        count["op" if attr == "count_op" else "value"] = (
            text if attr == "count_op" else (int(text) if text.strip().isdigit() else 1)
        )
    elif attr in ("where_path", "where_value"):
        where = (node.get("where") or [{"path": "", "op": "eq", "value": ""}])[0]
        where["path" if attr == "where_path" else "value"] = text.strip()
        node["where"] = [where] if where["path"] else []
        if not node["where"]:
            del node["where"]
    elif attr == "kind" and text != node.get("kind"):
        node.clear()
        node.update(_fresh(text))
    elif text == "" and attr in ("queue", "since", "until"):
        node.pop(attr, None)
    else:
        node[attr] = text


def _fresh(kind: str) -> dict[str, Any]:
    return {
        "attribute": dict(NEW_CONDITION),
        "consent": {"kind": "consent", "purpose": "", "channel": "email", "state": "contactable"},
        "event": {"kind": "event", "type": "", "within_days": 30},
        "relationship": {"kind": "relationship", "type": ""},
        "segment": {"kind": "segment", "segment": ""},
        "case": {"kind": "case", "state": "open"},
    }.get(kind, dict(NEW_CONDITION))


def read(data: Any) -> dict[str, Any]:
    """The rule as the form shows it: the JSON, with each input applied."""
    try:
        rule = json.loads(data.get("rule") or "{}")
    except json.JSONDecodeError:
        rule = {}
    if not isinstance(rule, dict) or not rule:
        rule = {"all": [dict(NEW_CONDITION)]}
    rule = copy.deepcopy(rule)
    groups = sorted((k for k in data if k.startswith("g.")), key=len, reverse=True)
    inputs = [k for k in data if k.startswith("c.")]
    changed: set[str] = set()
    for key in inputs:  # a condition's kind first: a new kind starts afresh
        path, _dot, attr = key[2:].rpartition(".")
        node = _condition(rule, path)
        if attr == "kind" and node is not None and node.get("kind") != data.get(key):
            _set(node, "kind", str(data.get(key, "")))
            changed.add(path)
    for key in sorted(inputs):
        path, _dot, attr = key[2:].rpartition(".")
        node = _condition(rule, path)
        if node is not None and attr != "kind" and path not in changed:
            _set(node, attr, str(data.get(key, "")))
    for key in groups:
        _regroup(rule, key[2:], str(data.get(key)))
    return rule


def _condition(rule: dict[str, Any], path: str) -> dict[str, Any] | None:
    try:
        node = node_at(rule, path)
    except (KeyError, IndexError, TypeError):
        return None
    return node if isinstance(node, dict) and "kind" in node else None


def _regroup(rule: dict[str, Any], path: str, wanted: str) -> None:
    """Turn the group at `path` (its "all"/"any" key) into the `wanted` kind."""
    if wanted not in ("all", "any"):
        return
    try:
        container = node_at(rule, path.rpartition(".")[0]) if "." in path else rule
    except (KeyError, IndexError, TypeError):
        return
    current = path.rpartition(".")[2]
    if isinstance(container, dict) and current in ("all", "any") and current != wanted:
        container[wanted] = container.pop(current)


def act(rule: dict[str, Any], action: str) -> dict[str, Any]:
    """Do what a builder button says."""
    what, _colon, path = action.partition(":")
    rule = copy.deepcopy(rule)
    try:
        if what == "add":
            node_at(rule, path).append(dict(NEW_CONDITION))
        elif what == "group":
            node_at(rule, path).append({"any": [dict(NEW_CONDITION)]})
        elif what == "negate":
            node_at(rule, path).append({"not": dict(NEW_CONDITION)})
        elif what == "remove" and path:
            parent, last = _parent(rule, path)
            if isinstance(parent, list):
                parent.pop(int(last))
    except (KeyError, IndexError, TypeError, AttributeError, ValueError):
        pass
    return rule


def rows(rule: dict[str, Any], path: str = "") -> list[dict[str, Any]]:
    """The tree flattened for the template: groups open and close, conditions between."""
    out: list[dict[str, Any]] = []
    for group in STEP_GROUPS:
        if group in rule:
            here = f"{path}.{group}" if path else group
            if group == "not":
                out.append({"open": "not", "path": here, "depth": here.count(".")})
                out += rows(rule["not"], here)
                out.append({"close": "not", "path": here})
                return out
            out.append({"open": group, "path": here, "depth": here.count(".")})
            for index, child in enumerate(rule[group]):
                out += rows(child, f"{here}.{index}")
            out.append({"close": group, "path": here})
            return out
    out.append(
        {"condition": rule, "path": path, "depth": path.count("."), "value_text": _text(rule)}
    )
    return out


def _text(node: dict[str, Any]) -> str:
    value = node.get("value")
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    return "" if value is None else str(value)
