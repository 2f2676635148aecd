"""Durable background jobs on Django's Tasks API, with retries and periodic runs.

Jobs are django-tasks tasks stored by the database backend. Luukku adds:

- ``@job(max_attempts=..)``: a task whose failures are retried with
  exponential backoff; after the last attempt it stays in the failed list,
  where an administrator can retry it.
- ``enqueue_on_commit``: jobs are enqueued only when the surrounding
  transaction commits, so a job never sees data that was rolled back.
- ``@periodic(every=..)``: jobs the worker's scheduler enqueues on a fixed
  interval; exactly one worker enqueues each run, however many are running.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ParamSpec, TypeVar

from django.db import transaction
from django.utils import timezone
from django_tasks import TaskResultStatus, task
from django_tasks.base import Task
from django_tasks_db.models import DBTaskResult

from luukku.core.actions import audit
from luukku.core.models import AuditEntry, PeriodicRun, User

P = ParamSpec("P")
T = TypeVar("T")


@dataclass(frozen=True)
class RetryPolicy:
    max_attempts: int = 5
    backoff_base: float = 10.0
    backoff_cap: float = 3600.0

    def delay_after(self, attempt: int) -> datetime.timedelta:
        seconds = min(self.backoff_cap, self.backoff_base * 2 ** max(0, attempt - 1))
        return datetime.timedelta(seconds=seconds)


@dataclass(frozen=True)
class PeriodicJob:
    name: str
    task: Task[Any, Any]
    every: datetime.timedelta


DEFAULT_POLICY = RetryPolicy()
_policies: dict[str, RetryPolicy] = {}
_periodic: dict[str, PeriodicJob] = {}


def job(
    *, max_attempts: int = 5, backoff_base: float = 10.0, queue_name: str = "default"
) -> Callable[[Callable[P, T]], Task[P, T]]:
    """Declare a background job with its retry policy."""

    def decorate(func: Callable[P, T]) -> Task[P, T]:
        wrapped: Task[P, T] = task(queue_name=queue_name)(func)
        _policies[wrapped.module_path] = RetryPolicy(
            max_attempts=max_attempts, backoff_base=backoff_base
        )
        return wrapped

    return decorate


def periodic(*, every: datetime.timedelta) -> Callable[[Task[P, T]], Task[P, T]]:
    """Have the scheduler enqueue a (parameterless) job every `every`."""

    def decorate(wrapped: Task[P, T]) -> Task[P, T]:
        _periodic[wrapped.module_path] = PeriodicJob(wrapped.module_path, wrapped, every)
        return wrapped

    return decorate


def policy_for(task_path: str) -> RetryPolicy:
    return _policies.get(task_path, DEFAULT_POLICY)


def periodic_jobs() -> list[PeriodicJob]:
    return list(_periodic.values())


def enqueue_on_commit(wrapped: Task[P, T], *args: P.args, **kwargs: P.kwargs) -> None:
    """Enqueue the job once the current transaction commits (at once outside one)."""
    transaction.on_commit(lambda: wrapped.enqueue(*args, **kwargs))


def has_job(
    wrapped: Task[Any, Any], *args: Any, statuses: tuple[str, ...] = (TaskResultStatus.READY,)
) -> bool:
    """Whether a job of the task with these arguments is in one of `statuses` (by
    default: waiting to start)."""
    return DBTaskResult.objects.filter(
        task_path=wrapped.module_path, status__in=statuses, args_kwargs__args=list(args)
    ).exists()


def enqueue_unless_waiting(
    wrapped: Task[Any, Any], *args: Any, priority: int | None = None, queue_name: str | None = None
) -> None:
    """Enqueue the job now (inside the caller's transaction, so it is durable with what it
    is for), unless one with the same arguments waits to start already: that one will see
    this transaction's rows too."""
    if has_job(wrapped, *args):
        return
    options: dict[str, Any] = {}
    if priority is not None:
        options["priority"] = priority
    if queue_name is not None:
        options["queue_name"] = queue_name
    (wrapped.using(**options) if options else wrapped).enqueue(*args)


def attempts(row: DBTaskResult) -> int:
    return len(row.worker_ids)


def reschedule_if_retries_left(row: DBTaskResult, *, now: datetime.datetime | None = None) -> bool:
    """After a failed attempt: put the job back with a backoff delay, if it has attempts left."""
    now = now or timezone.now()
    policy = policy_for(row.task_path)
    if attempts(row) >= policy.max_attempts:
        return False
    row.status = TaskResultStatus.READY
    row.run_after = now + policy.delay_after(attempts(row))
    row.finished_at = None
    row.save(update_fields=["status", "run_after", "finished_at"])
    return True


@transaction.atomic
def enqueue_due_periodic_jobs(*, now: datetime.datetime | None = None) -> list[str]:
    """Enqueue each periodic job that is due; safe to call from many workers at once."""
    now = now or timezone.now()
    for pj in _periodic.values():
        PeriodicRun.objects.get_or_create(name=pj.name, defaults={"next_run_at": now})
    enqueued = []
    due = PeriodicRun.objects.select_for_update(skip_locked=True).filter(
        name__in=list(_periodic), next_run_at__lte=now
    )
    for run in due:
        pj = _periodic[run.name]
        pj.task.enqueue()
        run.last_enqueued_at = now
        run.next_run_at = now + pj.every
        run.save(update_fields=["last_enqueued_at", "next_run_at"])
        enqueued.append(run.name)
    return enqueued


def failed_jobs() -> Any:
    return DBTaskResult.objects.failed().order_by("-finished_at")


@transaction.atomic
def retry_failed_job(row: DBTaskResult, *, by: User | None) -> DBTaskResult:
    """Give a job that used up its attempts one more run, now."""
    if row.status != TaskResultStatus.FAILED:
        return row
    row.status = TaskResultStatus.READY
    row.run_after = timezone.now()
    row.finished_at = None
    row.save(update_fields=["status", "run_after", "finished_at"])
    audit.record(
        actor=by,
        action=AuditEntry.Action.UPDATE,
        obj=row,
        changes={"status": [TaskResultStatus.FAILED, TaskResultStatus.READY]},
    )
    return row
