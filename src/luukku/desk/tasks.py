"""The desk's background jobs: the SLA scheduler and recomputing after a policy changes."""

from __future__ import annotations

import datetime

from django.db import transaction
from django.utils import timezone

from luukku.core.jobs import job, periodic
from luukku.desk import automation, classifier, sla_scheduler
from luukku.desk.assignment import on_duty
from luukku.desk.models import DONE, Case, Queue, SlaPolicy, StatusCategory

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


@periodic(every=datetime.timedelta(minutes=1))
@job(max_attempts=1)
def balance_assignments() -> dict[str, int]:
    """Cases nobody has answered go back from agents who went away; waiting cases go to
    agents who are available, as each queue's strategy says."""
    now = timezone.now()
    returned = given = 0
    automatic = Queue.objects.exclude(assignment=Queue.Assignment.MANUAL).select_related("org_unit")
    for queue in automatic:
        held = Case.objects.filter(
            queue=queue, status=StatusCategory.NEW, assignee__isnull=False
        ).select_related("assignee")
        if queue.return_unstarted:
            holders = {c.assignee for c in held if c.assignee is not None}
            working = {u.pk for u in on_duty(list(holders), now)}
            for case in held:
                if case.assignee_id not in working:
                    automation.return_to_queue(case, reason="away")
                    returned += 1
        waiting = Case.objects.filter(
            queue=queue, assignee__isnull=True, status__in=[StatusCategory.NEW, StatusCategory.OPEN]
        ).order_by("created_at")[:200]
        for case in waiting:
            with transaction.atomic():
                if automation.assign_automatically(case) is None:
                    break  # nobody can take more now
                given += 1
    return {"returned": returned, "given": given}


@periodic(every=datetime.timedelta(hours=24))
@job(max_attempts=2, queue_name="bulk")
def train_case_classifiers() -> dict[str, float]:
    """Learn again from every unit's resolved cases (also started from the setup page)."""
    return classifier.train_all()
