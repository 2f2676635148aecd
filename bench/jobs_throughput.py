"""Job queue throughput: enqueue N jobs, drain them with W worker processes.

Usage (PostgreSQL; the database is created if missing, and emptied of jobs):

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/luukku_bench \\
        .venv/bin/python -m bench.jobs_throughput --jobs 5000 --workers 1 2

Prints enqueue rate and drain rate (jobs/s) for each worker count.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import time

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "luukku.settings")


def _setup() -> None:
    import django

    django.setup()


def _drain(worker_id: str) -> None:
    _setup()
    from luukku.core.worker import LuukkuWorker

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


def run(jobs: int, workers: int) -> tuple[float, float]:
    from django_tasks_db.models import DBTaskResult

    from bench.jobs_for_bench import noop

    DBTaskResult.objects.all().delete()
    start = time.perf_counter()
    for n in range(jobs):
        noop.enqueue(n)
    enqueue_rate = jobs / (time.perf_counter() - start)

    start = time.perf_counter()
    context = multiprocessing.get_context("spawn")
    procs = [context.Process(target=_drain, args=(f"bench-{w}",)) for w in range(workers)]
    for proc in procs:
        proc.start()
    for proc in procs:
        proc.join()
    drain_rate = jobs / (time.perf_counter() - start)
    done = DBTaskResult.objects.successful().count()
    assert done == jobs, f"only {done} of {jobs} jobs succeeded"
    return enqueue_rate, drain_rate


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--jobs", type=int, default=5000)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    args = parser.parse_args()
    _setup()
    from django.core.management import call_command
    from django.db import connection

    call_command("migrate", verbosity=0)
    print(f"database: {connection.vendor}, jobs: {args.jobs}")
    for workers in args.workers:
        enqueue_rate, drain_rate = run(args.jobs, workers)
        print(
            f"workers={workers}: enqueue {enqueue_rate:,.0f} jobs/s, drain {drain_rate:,.0f} jobs/s"
        )


if __name__ == "__main__":
    main()
