"""A/B tests: a share of the audience is split at random between the content (A) and
its second variant (B); the rest wait. After the set hours, the variant with the
higher open (or click) rate among those it was sent to wins, and goes to the rest."""

from __future__ import annotations

import datetime
import logging

from django.db import transaction
from django.db.models import Q, Sum
from django.utils import timezone

from luukku.campaigns.models import Campaign, Delivery, Run, Stat

logger = logging.getLogger("luukku.campaigns")

# The rest of the audience waits "until" this: only the decision moves them on.
HELD_UNTIL = datetime.datetime(9999, 1, 1, tzinfo=datetime.UTC)


def has_variant(campaign: Campaign) -> bool:
    return campaign.contents.filter(variant="b").exists()


def split(run: Run) -> tuple[int, int, int]:
    """Mark the test's two halves and hold the rest: (A, B, held). Inside the run's
    preparing transaction."""
    campaign = run.campaign
    queued = Delivery.objects.filter(run=run, status=Delivery.Status.QUEUED)
    total = queued.count()
    sample = round(total * (campaign.ab_percent or 0) / 100)
    half = max(1, sample // 2) if total >= 2 else 0
    if not half:
        return total, 0, 0
    b_ids = list(queued.order_by("?").values_list("pk", flat=True)[:half])
    Delivery.objects.filter(pk__in=b_ids).update(variant="b")
    a_ids = list(queued.filter(variant="").order_by("?").values_list("pk", flat=True)[:half])
    held = queued.filter(variant="").exclude(pk__in=a_ids).update(retry_at=HELD_UNTIL)
    run.ab_until = timezone.now() + datetime.timedelta(hours=campaign.ab_hours)
    run.save(update_fields=["ab_until"])
    return len(a_ids), len(b_ids), held


def rates(run: Run, metric: str) -> dict[str, float]:
    """Each variant's open or click rate among those it was sent to."""
    wanted = "opened_unique" if metric == "open" else "clicked_unique"
    found: dict[str, dict[str, int]] = {"": {}, "b": {}}
    for row in (
        Stat.objects.filter(run=run, metric__in=["sent", wanted], key="")
        .values("variant", "metric")
        .annotate(total=Sum("n"))
    ):
        found.setdefault(row["variant"], {})[row["metric"]] = row["total"]
    return {
        variant: (counts.get(wanted, 0) / counts["sent"]) if counts.get("sent") else 0.0
        for variant, counts in found.items()
    }


@transaction.atomic
def decide(run: Run) -> str | None:
    """Choose the winner once the test's time is up, and release the rest with it; the
    winner ("" for A, "b" for B), or None when it is not time yet."""
    run = Run.objects.select_for_update().select_related("campaign").get(pk=run.pk)
    if run.ab_decided or run.ab_until is None or run.ab_until > timezone.now():
        return None
    scores = rates(run, run.campaign.ab_metric)
    winner = "b" if scores.get("b", 0.0) > scores.get("", 0.0) else ""
    Delivery.objects.filter(run=run, status=Delivery.Status.QUEUED, retry_at=HELD_UNTIL).update(
        variant=winner, retry_at=None
    )
    run.ab_winner, run.ab_decided = winner, True
    run.save(update_fields=["ab_winner", "ab_decided"])
    logger.info("A/B test of run %s: %s wins (%s)", run.pk, winner or "A", scores)
    return winner


def due_decisions() -> list[Run]:
    return list(
        Run.objects.filter(
            Q(ab_until__lte=timezone.now()), ab_decided=False, status=Run.Status.SENDING
        )
    )
