"""Campaign jobs: a run sent in the send lane, scheduled campaigns started when due, and
sends whose sender stopped picked up again."""

from __future__ import annotations

import datetime
import logging

from django.db import transaction
from django.utils import timezone
from django_tasks import TaskResultStatus

from luukku.campaigns import abtest, sending
from luukku.campaigns.models import Campaign, Delivery, Run
from luukku.core.jobs import has_job, job, periodic

logger = logging.getLogger("luukku.campaigns")


@job(max_attempts=5, backoff_base=30.0, queue_name="send")
def send_run(run_id: int) -> str:
    """Prepare the run if it is new (its outbox written in one transaction), then send
    until nothing is due; come back when the next retry is due."""
    from luukku.campaigns.services import finish_if_done, materialize_run

    sending.recover()
    run = Run.objects.select_related("campaign", "campaign__org_unit").get(pk=run_id)
    if run.status == Run.Status.PREPARING:
        run = materialize_run(run)
    if run.status != Run.Status.SENDING:
        return run.status
    sender = sending.Sender(run)
    try:
        while sender.send_batch():
            run.refresh_from_db(fields=["status"])
            if run.status != Run.Status.SENDING:
                return run.status  # cancelled meanwhile
    finally:
        sender.close()
    if run.campaign.kind == Campaign.Kind.JOURNEY:
        return _journey_run_after(run_id)
    if finish_if_done(run):
        return "finished"
    if sending.only_held(run_id):
        return "waiting for the A/B test's decision"
    retry_at = sending.next_retry(run_id)
    send_run.using(run_after=retry_at or timezone.now()).enqueue(run_id)
    return f"again at {retry_at}"


def _journey_run_after(run_id: int) -> str:
    """A journey message's run stays open for those who reach the step later (each
    queues a job with their message); retries get a job of their own."""
    from luukku.campaigns.personal import SEND_PRIORITY

    retry_at = sending.next_retry(run_id)
    if retry_at is None:
        return "idle"
    send_run.using(queue_name="default", priority=SEND_PRIORITY, run_after=retry_at).enqueue(run_id)
    return f"again at {retry_at}"


@periodic(every=datetime.timedelta(minutes=1))
@job(max_attempts=1)
def keep_sends_going() -> dict[str, int]:
    """Start scheduled campaigns that are due; recover batches of senders that stopped;
    start a sender for a run nobody will send any more (its rows due, no send job for it
    waiting or running: one that failed for good, say)."""
    from luukku.campaigns.services import start_run

    started = 0
    for campaign in Campaign.objects.filter(
        status=Campaign.Status.SCHEDULED, scheduled_at__lte=timezone.now()
    ):
        with transaction.atomic():
            start_run(campaign, by=None)
        started += 1
    for run in abtest.due_decisions():
        if abtest.decide(run) is not None:
            send_run.enqueue(run.pk)
    recovered = sending.recover()
    resumed = 0
    quiet_since = timezone.now() - datetime.timedelta(minutes=2)
    for run in Run.objects.filter(
        status__in=[Run.Status.SENDING, Run.Status.PREPARING], started_at__lt=quiet_since
    ):
        due = run.deliveries.filter(status=Delivery.Status.QUEUED).exclude(
            retry_at__gt=timezone.now()
        )
        if (run.status == Run.Status.PREPARING or due.exists()) and not _send_job_for(run.pk):
            send_run.enqueue(run.pk)
            resumed += 1
    return {"started": started, "recovered": recovered, "resumed": resumed}


def _send_job_for(run_id: int) -> bool:
    """Whether a send job for the run waits or runs (one whose worker died is put back
    to wait by the worker's own recovery)."""
    return has_job(send_run, run_id, statuses=(TaskResultStatus.READY, TaskResultStatus.RUNNING))
