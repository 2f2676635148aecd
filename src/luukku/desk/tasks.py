"""The desk's background jobs: the SLA scheduler and recomputing after a policy changes."""

from __future__ import annotations

import datetime

from luukku.core.jobs import job, periodic
from luukku.desk import sla_scheduler
from luukku.desk.models import DONE, Case, SlaPolicy

RECOMPUTE_CHUNK = 500
MAX_BATCHES = 200  # a scan's bound; what is left waits for the next minute


@periodic(every=datetime.timedelta(minutes=1))
@job(max_attempts=1)
def check_sla_clocks() -> int:
    """Warn and breach every clock whose moment has come; how many milestones."""
    total = 0
    for _ in range(MAX_BATCHES):
        batch = sla_scheduler.take_due()
        if not batch:
            break
        total += len(batch)
    return total


@job(max_attempts=3)
def recompute_sla(policy_id: int) -> int:
    """Match the open cases a policy may concern again and work out their deadlines anew,
    a case at a time, each in its own short transaction (agents keep working meanwhile)."""
    policy = SlaPolicy.objects.select_related("org_unit").filter(pk=policy_id).first()
    if policy is None:
        return 0
    cases = (
        Case.objects.exclude(status__in=DONE)
        .filter(org_unit__path__startswith=policy.org_unit.path)
        .only("pk")
        .order_by("pk")
    )
    done, after = 0, 0
    while chunk := list(cases.filter(pk__gt=after)[:RECOMPUTE_CHUNK]):
        done += sla_scheduler.recompute(chunk)
        after = chunk[-1].pk
    return done
