"""The case filters the queue pages and the API share."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import Count, F, QuerySet

from luukku.core.models import User
from luukku.desk.models import DONE, Case, Escalation
from luukku.desk.models.cases import priority_rank

SORTS = ("updated", "created", "priority", "due")


@dataclass
class CaseFilter:
    status: list[str] | None = None
    open: bool = False
    assignee: str = ""  # "me", "none" (nobody) or a username
    priority: list[str] | None = None
    category_id: int | None = None
    delegated_by_me: bool = False
    escalated_to_me: bool = False
    person_id: int | None = None
    sort: str = "updated"


def filter_cases(rows: QuerySet[Case], f: CaseFilter, actor: User) -> QuerySet[Case]:
    if f.status:
        rows = rows.filter(status__in=f.status)
    if f.open:
        rows = rows.exclude(status__in=DONE)
    if f.assignee == "me":
        rows = rows.filter(assignee=actor)
    elif f.assignee == "none":
        rows = rows.filter(assignee__isnull=True)
    elif f.assignee:
        rows = rows.filter(assignee__username=f.assignee)
    if f.priority:
        rows = rows.filter(priority__in=f.priority)
    if f.category_id:
        rows = rows.filter(category_id=f.category_id)
    if f.escalated_to_me:
        mine = Escalation.objects.filter(user=actor).values("case_id")
        rows = rows.filter(pk__in=mine).exclude(status__in=DONE)
    if f.delegated_by_me:
        rows = rows.filter(delegated_by=actor).exclude(status__in=DONE)
    if f.person_id:
        rows = rows.filter(person_id=f.person_id)
    return rows


def sorted_cases(rows: QuerySet[Case], sort: str) -> QuerySet[Case]:
    if sort == "created":
        return rows.order_by("-created_at", "-pk")
    if sort == "due":
        due = F("sla_due_at").asc(nulls_last=True)
        return rows.order_by(due, "-updated_at", "-pk")
    if sort == "priority":
        return rows.annotate(rank=priority_rank()).order_by("rank", "-updated_at", "-pk")
    return rows.order_by("-updated_at", "-pk")


def from_query(params: Any) -> CaseFilter:
    """A filter from a page's query string (?state=open&priority=high&assignee=me...)."""
    state = params.get("state", "open")
    category = params.get("category", "")
    return CaseFilter(
        status=[state] if state not in ("open", "all", "") else None,
        open=state == "open",
        assignee=params.get("assignee", ""),
        priority=params.getlist("priority") or None,
        category_id=int(category) if category.isdigit() else None,
        sort=params.get("sort") if params.get("sort") in SORTS else "updated",
    )


def listed(rows: QuerySet[Case]) -> QuerySet[Case]:
    """Cases with what every list shows of them (queue, people, status), in one query."""
    # Each join costs the planner more than it costs to run at a page of 50: only what
    # the rows show.
    return rows.select_related("queue", "assignee", "locked_by", "person", "custom_status")


def open_counts(rows: QuerySet[Case]) -> dict[int, dict[str, int]]:
    """{queue id: {status: number of cases}} for the cases of `rows` not yet done."""
    counts: dict[int, dict[str, int]] = {}
    for row in rows.exclude(status__in=DONE).values("queue_id", "status").annotate(n=Count("id")):
        counts.setdefault(row["queue_id"], {})[row["status"]] = row["n"]
    return counts
