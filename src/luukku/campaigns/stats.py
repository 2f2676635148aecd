"""The rollups a campaign report reads: counts per run, channel, language, variant,
hour and metric (and a key: a link, a country, a client), added to in the transaction
that records what they count, so they always agree with it."""

from __future__ import annotations

import datetime
from collections import Counter
from typing import Any

from django.db import connection
from django.db.models import Q, QuerySet, Sum

from luukku.campaigns.models import Stat

Key = tuple[int, str, str, str, datetime.datetime, str, str]  # run … metric, key


def hour_of(at: datetime.datetime) -> datetime.datetime:
    return at.replace(minute=0, second=0, microsecond=0)


INSERT = (
    "INSERT INTO campaigns_stat (run_id, channel, language, variant, hour, metric, key, n) "
    "VALUES {values} "
    "ON CONFLICT (run_id, channel, language, variant, hour, metric, key) "
    "DO UPDATE SET n = campaigns_stat.n + excluded.n"
)


def bump(counts: Counter[Key]) -> None:
    """Add to the rollups (rows made as needed), in one statement, in a fixed order so
    that transactions adding to the same rows never wait on each other in a circle."""
    items = sorted(counts.items())
    if not items:
        return
    values = ", ".join(["(%s, %s, %s, %s, %s, %s, %s, %s)"] * len(items))
    params: list[Any] = []
    for (run, channel, language, variant, hour, metric, key), n in items:
        params += [run, channel, language, variant, hour, metric, key[:100], n]
    sql = INSERT.format(values=values)  # placeholders only
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def key_of(delivery: Any, at: datetime.datetime, metric: str, key: str = "") -> Key:
    """The rollup a delivery's act at `at` counts in."""
    return (
        delivery.run_id,
        delivery.channel,
        delivery.language,
        delivery.variant,
        hour_of(at),
        metric,
        key,
    )


def bump_delivery(delivery: Any, at: datetime.datetime, *metrics: tuple[str, str]) -> None:
    """Add one to each (metric, key) for the delivery's run, channel, language and variant."""
    bump(Counter(key_of(delivery, at, metric, key) for metric, key in metrics))


def count_rows(run_id: int, rows: Any, metric: str) -> None:
    """Add `rows` (a queryset of the run's deliveries) to the rollups under `metric`,
    by channel, language, variant and reason (the key); `n` may be taken away with
    metric names starting with "-"."""
    from django.db.models import Count
    from django.utils import timezone

    sign = -1 if metric.startswith("-") else 1
    metric = metric.lstrip("-")
    hour = hour_of(timezone.now())
    counted: Counter[Key] = Counter()
    for row in rows.values("channel", "language", "variant", "reason").annotate(n=Count("pk")):
        key = (
            run_id,
            row["channel"],
            row["language"],
            row["variant"],
            hour,
            metric,
            row["reason"] if metric == "skipped" else "",
        )
        counted[key] += sign * row["n"]
    bump(counted)


def states_of(rollups: QuerySet[Stat]) -> dict[str, int]:
    """The outbox's rows by state, from the runs' rollups (one query, a few hundred rows;
    a count over a million rows would take most of a second)."""
    totals: dict[str, int] = dict(
        rollups.filter(Q(key="") | Q(metric="skipped"))  # skipped: by reason in the key
        .values_list("metric")
        .annotate(total=Sum("n"))
        .values_list("metric", "total")
    )
    return states(totals)


def states(totals: dict[str, int]) -> dict[str, int]:
    """The outbox's rows by state from the totals of the rollups' metrics."""
    final = ("skipped", "sent", "failed")
    return {
        "queued": max(0, totals.get("planned", 0) - sum(totals.get(m, 0) for m in final)),
        "sending": 0,
        "sent": max(
            0,
            totals.get("sent", 0)
            - totals.get("bounced", 0)
            - totals.get("delivered", 0)
            - totals.get("undelivered", 0),
        ),
        "delivered": totals.get("delivered", 0),
        "bounced": totals.get("bounced", 0),
        "failed": totals.get("failed", 0) + totals.get("undelivered", 0),
        "skipped": totals.get("skipped", 0),
    }
