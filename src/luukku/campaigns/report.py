"""A campaign's report, read from the rollups (campaigns/stats.py) and the outbox's
states: a few hundred rows, however many recipients. Rates are of those delivered
(sent, less bounced); opens are shown with how many came through image proxies."""

from __future__ import annotations

import datetime
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Sum
from django.db.models.functions import TruncDay
from django.utils import timezone

from luukku.campaigns import stats as rollups
from luukku.campaigns.models import Campaign, Link, Stat

METRICS = (
    "sent",
    "failed",
    "bounced",
    "complained",
    "opened",
    "opened_unique",
    "opened_proxy",
    "clicked",
    "clicked_unique",
    "unsubscribed",
    "converted",
)
DAILY = ("sent", "opened_unique", "clicked_unique", "unsubscribed")


@dataclass
class Report:
    campaign: Campaign
    states: dict[str, int]
    totals: dict[str, int]
    by_part: list[dict[str, Any]]  # per channel, language and variant
    days: list[dict[str, Any]]
    links: list[dict[str, Any]]
    countries: list[tuple[str, int]]
    clients: list[tuple[str, int]]
    rates: dict[str, float] = field(default_factory=dict)


def _rates(totals: dict[str, int]) -> dict[str, float]:
    delivered = max(0, totals.get("sent", 0) - totals.get("bounced", 0))

    def share(metric: str) -> float:
        return round(100 * totals.get(metric, 0) / delivered, 1) if delivered else 0.0

    return {
        "delivered": delivered,
        "open": share("opened_unique"),
        "click": share("clicked_unique"),
        "unsubscribe": share("unsubscribed"),
        "bounce": round(100 * totals.get("bounced", 0) / totals["sent"], 1)
        if totals.get("sent")
        else 0.0,
        "conversion": share("converted"),
        "proxy": round(100 * totals.get("opened_proxy", 0) / totals["opened"], 1)
        if totals.get("opened")
        else 0.0,
    }


def _top(stats: Any, *metrics: str, limit: int = 10) -> list[tuple[str, int]]:
    rows = (
        stats.filter(metric__in=metrics)
        .values("key")
        .annotate(total=Sum("n"))
        .order_by("-total", "key")[:limit]
    )
    return [(row["key"], row["total"]) for row in rows]


def report(campaign: Campaign) -> Report:
    runs = campaign.runs.values("pk")
    stats = Stat.objects.filter(run__in=runs)
    totals = dict.fromkeys(METRICS, 0)
    parts: dict[tuple[str, str, str], dict[str, int]] = defaultdict(
        lambda: dict.fromkeys(METRICS, 0)
    )
    for row in (
        stats.filter(metric__in=METRICS, key="")
        .values("channel", "language", "variant", "metric")
        .annotate(total=Sum("n"))
    ):
        totals[row["metric"]] += row["total"]
        parts[(row["channel"], row["language"], row["variant"])][row["metric"]] += row["total"]
    days: dict[datetime.date, dict[str, int]] = defaultdict(lambda: dict.fromkeys(DAILY, 0))
    for row in (
        stats.filter(metric__in=DAILY)
        .annotate(day=TruncDay("hour", tzinfo=timezone.get_current_timezone()))
        .values("day", "metric")
        .annotate(total=Sum("n"))
    ):
        days[row["day"].date() if hasattr(row["day"], "date") else row["day"]][row["metric"]] = row[
            "total"
        ]
    clicks = {
        (row["language"], row["variant"], row["key"]): row["total"]
        for row in stats.filter(metric="link")
        .values("language", "variant", "key")
        .annotate(total=Sum("n"))
    }
    links: dict[tuple[str, str, int], dict[str, Any]] = {}
    for link in Link.objects.filter(run__in=runs).order_by("language", "variant", "position"):
        key = (link.language, link.variant, link.position)
        entry = links.setdefault(
            key,
            {
                "position": link.position,
                "language": link.language,
                "variant": link.variant,
                "url": link.url,
                "clicks": 0,
            },
        )
        entry["clicks"] += clicks.get((link.language, link.variant, str(link.position)), 0)
    return Report(
        campaign=campaign,
        states=rollups.states_of(stats),
        totals=totals,
        by_part=[
            {"channel": c, "language": lang, "variant": v, **values, **{"rates": _rates(values)}}
            for (c, lang, v), values in sorted(parts.items())
        ],
        days=[{"day": day, **values} for day, values in sorted(days.items())],
        links=list(links.values()),
        countries=_top(stats, "open_country", "click_country"),
        clients=_top(stats, "open_client", "click_client"),
        rates=_rates(totals),
    )


def day_bars(days: list[dict[str, Any]], metric: str) -> dict[str, Any]:
    """Bars for an SVG chart of a metric by day (`campaigns/_bars.html`), 10 units
    apart, their height in per cent of the top day's."""
    top = max((day.get(metric, 0) for day in days), default=0) or 1
    items = []
    for n, day in enumerate(days):
        value = day.get(metric, 0)
        height = round(100 * value / top)
        items.append(
            {"day": day["day"], "n": value, "x": 10 * n, "y": 100 - height, "height": height}
        )
    return {"items": items, "width": max(10, 10 * len(days))}
