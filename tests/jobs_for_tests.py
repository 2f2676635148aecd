"""Jobs that exist only for the job-system tests."""

from __future__ import annotations

from luukku.core.jobs import job
from luukku.core.models import AuditEntry


class Flaky(Exception):
    pass


def _mark(label: str) -> None:
    AuditEntry.objects.create(
        action=AuditEntry.Action.UPDATE,
        object_type="test.job",
        object_id=label,
        object_repr=label,
        actor_name="job",
    )


def runs_of(label: str) -> int:
    return AuditEntry.objects.filter(object_type="test.job", object_id=label).count()


@job(max_attempts=3, backoff_base=60.0)
def always_fails(label: str) -> None:
    _mark(label)
    raise Flaky(f"provider down for {label}")


@job(max_attempts=3)
def fails_once(label: str) -> str:
    _mark(label)
    if runs_of(label) == 1:
        raise Flaky("first attempt fails")
    return "ok"


@job(max_attempts=1)
def record(label: str) -> None:
    _mark(label)
