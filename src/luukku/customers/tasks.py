"""Customers' background jobs."""

from __future__ import annotations

import datetime
import logging

from django.utils import timezone

from luukku.core.jobs import job, periodic
from luukku.customers import partitions
from luukku.customers.importing import engine
from luukku.customers.importing.files import UnreadableFile
from luukku.customers.models import ImportRun

logger = logging.getLogger("luukku.customers")


def _fail(run: ImportRun, message: str) -> None:
    run.status = ImportRun.Status.FAILED
    run.message = message
    run.finished_at = timezone.now()
    run.save(update_fields=["status", "message", "finished_at"])


@job(max_attempts=1)
def check_import(run_id: int) -> None:
    run = ImportRun.objects.select_related("source").get(pk=run_id)
    try:
        engine.check(run)
    except UnreadableFile as exc:
        _fail(run, str(exc))


@job(max_attempts=1)
def apply_import(run_id: int) -> None:
    """All-or-nothing: a failure leaves the database as it was and the run marked failed."""
    run = ImportRun.objects.select_related("source", "created_by", "org_unit").get(pk=run_id)
    try:
        engine.run_import(run, progress=lambda done, total: engine._report(run.pk, done))
    except (engine.ImportRefused, UnreadableFile) as exc:
        _fail(run, str(exc))
    except Exception as exc:
        logger.exception("Import %s failed", run_id)
        _fail(run, f"{type(exc).__name__}: {exc}")
        raise


@periodic(every=datetime.timedelta(hours=12))
@job(max_attempts=3)
def prepare_event_partitions() -> int:
    """Keep the next three months of timeline partitions ready."""
    now = timezone.now()
    return partitions.ensure_partitions(now, now + datetime.timedelta(days=92))
