"""The `luukku worker` process: runs jobs, retries failures, and drives the scheduler."""

from __future__ import annotations

import datetime
import logging
import os
import socket
import threading
from typing import Any

from django.db import close_old_connections, transaction
from django.utils import timezone
from django.utils.crypto import get_random_string
from django_tasks import TaskResultStatus
from django_tasks_db.management.commands.db_worker import Worker
from django_tasks_db.models import DBTaskResult

from luukku.core import jobs
from luukku.core.models import WorkerHeartbeat

logger = logging.getLogger("luukku.worker")

HEARTBEAT_EVERY = 5.0
WORKER_GONE_AFTER = datetime.timedelta(seconds=60)


class LuukkuWorker(Worker):
    """django-tasks' database worker, plus retry with backoff after a failed attempt."""

    def run_task(self, db_task_result: DBTaskResult) -> None:
        super().run_task(db_task_result)
        # The base worker records the outcome on this same object (set_successful/set_failed).
        if db_task_result.status == TaskResultStatus.FAILED:
            if jobs.reschedule_if_retries_left(db_task_result):
                logger.warning(
                    "Job %s (%s) failed on attempt %d; retrying at %s",
                    db_task_result.id,
                    db_task_result.task_path,
                    jobs.attempts(db_task_result),
                    db_task_result.run_after.isoformat(),
                )
            else:
                logger.error(
                    "Job %s (%s) failed after %d attempts",
                    db_task_result.id,
                    db_task_result.task_path,
                    jobs.attempts(db_task_result),
                )


def beat(worker_id: str, started_at: datetime.datetime) -> None:
    now = timezone.now()
    WorkerHeartbeat.objects.update_or_create(
        worker_id=worker_id,
        defaults={
            "hostname": socket.gethostname()[:255],
            "pid": os.getpid(),
            "started_at": started_at,
            "seen_at": now,
        },
    )
    WorkerHeartbeat.objects.filter(seen_at__lt=now - WORKER_GONE_AFTER * 10).delete()


@transaction.atomic
def recover_abandoned_jobs(*, now: datetime.datetime | None = None) -> int:
    """Jobs left running by a worker that died go back to the queue (or to failed)."""
    now = now or timezone.now()
    alive = set(
        WorkerHeartbeat.objects.filter(seen_at__gte=now - WORKER_GONE_AFTER).values_list(
            "worker_id", flat=True
        )
    )
    recovered = 0
    running = DBTaskResult.objects.select_for_update(skip_locked=True).filter(
        status=TaskResultStatus.RUNNING, started_at__lt=now - WORKER_GONE_AFTER
    )
    for row in running:
        if row.worker_ids and row.worker_ids[-1] in alive:
            continue
        if not jobs.reschedule_if_retries_left(row, now=now):
            row.status = TaskResultStatus.FAILED
            row.finished_at = now
            row.exception_class_path = "luukku.core.worker.WorkerLost"
            row.traceback = "The worker running this job stopped before it finished."
            row.save(update_fields=["status", "finished_at", "exception_class_path", "traceback"])
        recovered += 1
    return recovered


def scheduler_loop(worker_id: str, stop: threading.Event, *, schedule: bool = True) -> None:
    """Heartbeat always; with `schedule`, also enqueue periodic jobs and recover orphans."""
    started_at = timezone.now()
    while not stop.is_set():
        try:
            close_old_connections()
            beat(worker_id, started_at)
            if schedule:
                jobs.enqueue_due_periodic_jobs()
                recover_abandoned_jobs()
        except Exception:
            logger.exception("Scheduler tick failed; trying again")
        stop.wait(HEARTBEAT_EVERY)


# Long jobs (a segment evaluated in full over a million persons, a classifier trained)
# run on the "bulk" queue, in a lane of their own, so they never hold up the short ones
# (a refresh of a person's segments, a mail to send) behind them.
BULK = "bulk"
# Campaign sends (a million mails take a quarter of an hour) have a lane of their own too.
SEND = "send"
# Journeys' scheduler advances enrolments in a lane of its own, so a million due steps
# hold up neither a campaign nor the short jobs (the reaction to a goal event among them).
JOURNEYS = "journeys"


def _worker(worker_id: str, queues: list[str], excluded: list[str], **options: Any) -> Worker:
    return LuukkuWorker(
        queue_names=queues,
        backend_name="default",
        max_tasks=None,
        worker_id=worker_id,
        excluded_queue_names=excluded,
        **options,
    )


def run_worker(*, interval: float = 0.2, batch: bool = False, queues: str = "*") -> None:
    """Run jobs until stopped: with the default "*", one lane for the bulk queue, one for
    the send queue, one for journeys and one for every other, side by side in this
    process."""
    worker_id = f"{socket.gethostname()[:40]}-{get_random_string(12)}"
    stop = threading.Event()
    scheduler = threading.Thread(
        target=scheduler_loop,
        args=(worker_id, stop),
        kwargs={"schedule": not batch},
        name="luukku-scheduler",
        daemon=True,
    )
    scheduler.start()
    options: dict[str, Any] = {"interval": interval, "batch": batch, "startup_delay": not batch}
    lanes = (
        [(["*"], [BULK, SEND, JOURNEYS]), ([BULK], []), ([SEND], []), ([JOURNEYS], [])]
        if queues == "*"
        else [(queues.split(","), [])]
    )
    worker = _worker(worker_id, *lanes[0], **options)
    others = [_worker(worker_id, *lane, **options) for lane in lanes[1:]]
    threads = [
        threading.Thread(target=_run_lane, args=(other,), name=f"luukku-lane-{n}", daemon=True)
        for n, other in enumerate(others, start=1)
    ]
    for thread in threads:
        thread.start()
    worker.configure_signals()
    try:
        worker.run()
    finally:
        for other in others:
            other.running = False  # finishes the job it has, then stops
        for thread in threads:
            thread.join(timeout=HEARTBEAT_EVERY * 2)
        stop.set()
        scheduler.join(timeout=HEARTBEAT_EVERY * 2)
        WorkerHeartbeat.objects.filter(worker_id=worker_id).delete()


def _run_lane(worker: Worker) -> None:
    try:
        worker.run()
    finally:
        close_old_connections()
