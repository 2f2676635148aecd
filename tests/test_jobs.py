from __future__ import annotations

import datetime
import threading

import pytest
from django.db import connection, connections, transaction
from django.test import Client
from django.utils import timezone
from django_tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from luukku.core import jobs
from luukku.core.models import PeriodicRun, Role, WorkerHeartbeat
from luukku.core.worker import LuukkuWorker, recover_abandoned_jobs, scheduler_loop
from tests.conftest import Tree
from tests.factories import user_with
from tests.jobs_for_tests import always_fails, fails_once, record, runs_of


def run_due_jobs(worker_id: str = "test-worker") -> None:
    LuukkuWorker(
        queue_names=["*"],
        interval=0,
        batch=True,
        backend_name="default",
        startup_delay=False,
        max_tasks=None,
        worker_id=worker_id,
        excluded_queue_names=[],
    ).run()


def make_due(result_id: str) -> None:
    DBTaskResult.objects.filter(pk=result_id).update(run_after=timezone.now())


@pytest.mark.django_db(transaction=True)
def test_a_failing_job_is_retried_with_growing_delays_then_listed_as_failed() -> None:
    result = always_fails.enqueue("A")
    delays = []

    for _attempt in range(3):
        before = timezone.now()
        run_due_jobs()
        row = DBTaskResult.objects.get(pk=result.id)
        if row.status == TaskResultStatus.READY:
            delays.append((row.run_after - before).total_seconds())
            make_due(row.pk)

    row = DBTaskResult.objects.get(pk=result.id)
    assert runs_of("A") == 3
    assert row.status == TaskResultStatus.FAILED
    assert jobs.attempts(row) == 3
    assert "provider down for A" in row.traceback
    assert 59 < delays[0] < 61 and 119 < delays[1] < 121
    assert list(jobs.failed_jobs()) == [row]


@pytest.mark.django_db(transaction=True)
def test_a_job_that_recovers_succeeds_on_its_second_attempt() -> None:
    result = fails_once.enqueue("B")

    run_due_jobs()
    make_due(result.id)
    run_due_jobs()

    row = DBTaskResult.objects.get(pk=result.id)
    assert row.status == TaskResultStatus.SUCCESSFUL
    assert row.return_value == "ok"
    assert runs_of("B") == 2


@pytest.mark.django_db(transaction=True)
def test_an_administrator_retries_a_failed_job_from_the_jobs_page(tree: Tree) -> None:
    result = always_fails.enqueue("C")
    DBTaskResult.objects.filter(pk=result.id).update(
        worker_ids=["w1", "w2", "w3"], status=TaskResultStatus.FAILED, traceback="boom"
    )
    admin = user_with(Role.ADMINISTRATOR, tree.root)
    agent = user_with(Role.AGENT, tree.housing)
    agent_client, admin_client = Client(), Client()
    agent_client.force_login(agent)
    admin_client.force_login(admin)

    refused = agent_client.post(f"/jobs/{result.id}/retry/")
    page = admin_client.get("/jobs/")
    retried = admin_client.post(f"/jobs/{result.id}/retry/")

    assert refused.status_code == 403
    assert "always_fails" in page.content.decode()
    assert retried.status_code == 302
    row = DBTaskResult.objects.get(pk=result.id)
    assert row.status == TaskResultStatus.READY
    run_due_jobs()
    assert runs_of("C") == 1


@pytest.mark.django_db(transaction=True)
def test_jobs_are_enqueued_only_when_the_transaction_commits() -> None:
    with transaction.atomic():
        jobs.enqueue_on_commit(record, "kept")
        assert DBTaskResult.objects.count() == 0
    try:
        with transaction.atomic():
            jobs.enqueue_on_commit(record, "dropped")
            raise RuntimeError("rolled back")
    except RuntimeError:
        pass

    assert [r.args_kwargs["args"] for r in DBTaskResult.objects.all()] == [["kept"]]


@pytest.mark.django_db(transaction=True)
def test_periodic_jobs_are_enqueued_once_per_interval() -> None:
    now = timezone.now()

    shortest = min(pj.every for pj in jobs.periodic_jobs())
    first = jobs.enqueue_due_periodic_jobs(now=now)
    again = jobs.enqueue_due_periodic_jobs(now=now + shortest - datetime.timedelta(seconds=1))
    later = jobs.enqueue_due_periodic_jobs(now=now + datetime.timedelta(minutes=2))

    assert "luukku.core.tasks.mark_idle_staff" in first
    assert again == []
    # Only the jobs due again within two minutes (idle staff, mail fetching) come back.
    assert "luukku.core.tasks.mark_idle_staff" in later and set(later) < set(first)
    assert PeriodicRun.objects.get(name="luukku.core.tasks.mark_idle_staff").next_run_at > now


@pytest.mark.django_db(transaction=True)
def test_two_workers_never_run_the_same_job_twice() -> None:
    if connection.vendor != "postgresql":
        pytest.skip("concurrent workers are a PostgreSQL feature")
    labels = [f"job-{n}" for n in range(40)]
    for label in labels:
        record.enqueue(label)

    def work(worker_id: str) -> None:
        try:
            run_due_jobs(worker_id)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=work, args=(f"worker-{n}",)) for n in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert all(runs_of(label) == 1 for label in labels)
    workers = {tuple(r.worker_ids) for r in DBTaskResult.objects.all()}
    assert workers == {("worker-0",), ("worker-1",)}


@pytest.mark.django_db(transaction=True)
def test_a_job_left_running_by_a_dead_worker_goes_back_to_the_queue() -> None:
    result = record.enqueue("orphan")
    long_ago = timezone.now() - datetime.timedelta(minutes=5)
    DBTaskResult.objects.filter(pk=result.id).update(
        status=TaskResultStatus.RUNNING, started_at=long_ago, worker_ids=["dead-worker"]
    )
    # record allows one attempt, so the orphan is marked failed rather than lost.
    recovered = recover_abandoned_jobs()

    row = DBTaskResult.objects.get(pk=result.id)
    assert recovered == 1
    assert row.status == TaskResultStatus.FAILED
    assert "stopped before it finished" in row.traceback


@pytest.mark.django_db(transaction=True)
def test_a_running_job_of_a_live_worker_is_left_alone() -> None:
    result = record.enqueue("busy")
    long_ago = timezone.now() - datetime.timedelta(minutes=5)
    DBTaskResult.objects.filter(pk=result.id).update(
        status=TaskResultStatus.RUNNING, started_at=long_ago, worker_ids=["alive"]
    )
    WorkerHeartbeat.objects.create(
        worker_id="alive", hostname="h", pid=1, started_at=long_ago, seen_at=timezone.now()
    )

    assert recover_abandoned_jobs() == 0
    assert DBTaskResult.objects.get(pk=result.id).status == TaskResultStatus.RUNNING


@pytest.mark.django_db(transaction=True)
def test_a_batch_worker_still_sends_heartbeats() -> None:
    """Otherwise other workers would take its long jobs for orphans and run them twice."""
    stop = threading.Event()
    thread = threading.Thread(
        target=lambda: (scheduler_loop("batch-1", stop, schedule=False), connections.close_all())
    )
    thread.start()
    try:
        for _ in range(50):
            if WorkerHeartbeat.objects.filter(worker_id="batch-1").exists():
                break
            threading.Event().wait(0.1)
        assert WorkerHeartbeat.objects.filter(worker_id="batch-1").exists()
        assert not PeriodicRun.objects.exists()
    finally:
        stop.set()
        thread.join(timeout=10)
