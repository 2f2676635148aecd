"""The figures on a journey's diagram and its funnel: who waits at each step now (the
index of active enrolments by step), and, from the rollups, how many reached each
step, left it each way, entered, reached the goal, completed or left, by day."""

from __future__ import annotations

import datetime
from collections import defaultdict
from dataclasses import dataclass, field

from django.db.models import Count, Sum

from luukku.journeys.models import Enrolment, Journey, Stat


@dataclass
class StepFigures:
    waiting: int = 0
    reached: int = 0
    ways: dict[str, int] = field(default_factory=dict)

    @property
    def passed(self) -> int:
        return sum(n for way, n in self.ways.items() if way not in ("held", "resumed"))


@dataclass
class Figures:
    steps: dict[str, StepFigures]
    totals: dict[str, int]  # entered, goal, completed, exited, active
    days: list[tuple[datetime.date, dict[str, int]]]  # the funnel over time


def figures(journey: Journey, *, version: int | None = None) -> Figures:
    """For one version (by number), or every version together."""
    steps: dict[str, StepFigures] = defaultdict(StepFigures)
    active = Enrolment.objects.filter(journey=journey, status="active")
    if version is not None:
        active = active.filter(version__number=version)
    for step, n in active.values_list("step").annotate(n=Count("pk")).values_list("step", "n"):
        steps[step].waiting = n
    stats = Stat.objects.filter(journey=journey)
    if version is not None:
        stats = stats.filter(version=version)
    totals: dict[str, int] = defaultdict(int)
    days: dict[datetime.date, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for step, metric, day, n in (
        stats.values_list("step", "metric", "day")
        .annotate(n=Sum("n"))
        .values_list("step", "metric", "day", "n")
    ):
        if not step:
            totals[metric] += n
            days[day][metric] += n
        elif metric == "reached":
            steps[step].reached += n
        elif metric.startswith("way:"):
            way = metric.removeprefix("way:")
            steps[step].ways[way] = steps[step].ways.get(way, 0) + n
    totals["active"] = sum(f.waiting for f in steps.values())
    return Figures(
        steps=dict(steps),
        totals=dict(totals),
        days=[(day, dict(values)) for day, values in sorted(days.items())],
    )


def totals_for(journey_ids: list[int]) -> dict[int, dict[str, int]]:
    """Each journey's totals (entered, goal, completed, exited, active) in two grouped
    queries, for a list of journeys."""
    found: dict[int, dict[str, int]] = {pk: defaultdict(int) for pk in journey_ids}
    rows = (
        Stat.objects.filter(journey_id__in=journey_ids, step="")
        .values_list("journey_id", "metric")
        .annotate(n=Sum("n"))
        .values_list("journey_id", "metric", "n")
    )
    for journey_id, metric, n in rows:
        found[journey_id][metric] += n
    active = (
        Enrolment.objects.filter(journey_id__in=journey_ids, status="active")
        .values_list("journey_id")
        .annotate(n=Count("pk"))
        .values_list("journey_id", "n")
    )
    for journey_id, n in active:
        found[journey_id]["active"] = n
    return {pk: dict(values) for pk, values in found.items()}
