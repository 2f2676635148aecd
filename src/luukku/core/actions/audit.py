from __future__ import annotations

import contextvars
import datetime
import decimal
import uuid
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any

from django.db import models

from luukku.core.models import AuditEntry, OrgUnit, User

_channel: contextvars.ContextVar[str] = contextvars.ContextVar("audit_channel", default="system")


@contextmanager
def audit_channel(name: str) -> Iterator[None]:
    """Mark audit records written inside the block as coming via `name` (web, api, cli, job)."""
    token = _channel.set(name)
    try:
        yield
    finally:
        _channel.reset(token)


def _plain(value: Any) -> Any:
    if isinstance(value, models.Model):
        return value.pk
    if isinstance(value, datetime.datetime | datetime.date | datetime.time):
        return value.isoformat()
    if isinstance(value, decimal.Decimal | uuid.UUID):
        return str(value)
    if isinstance(value, list | tuple | set):
        return [_plain(v) for v in value]
    return value


def snapshot(obj: models.Model, fields: Iterable[str]) -> dict[str, Any]:
    """The current values of `fields`, as JSON-safe data, for a before/after diff."""
    return {name: _plain(getattr(obj, name)) for name in fields}


def diff(before: dict[str, Any], after: dict[str, Any]) -> dict[str, list[Any]]:
    return {
        name: [before.get(name), after.get(name)]
        for name in after
        if before.get(name) != after.get(name)
    }


def record_failed_login(*, username: str, user: User | None) -> AuditEntry:
    """A wrong password or unknown username at the login page."""
    return AuditEntry.objects.create(
        actor=None,
        actor_name=username[:150],
        action=AuditEntry.Action.LOGIN_FAILED,
        object_type="core.user",
        object_id=str(user.pk) if user else "",
        object_repr=username[:200],
        org_unit=user.primary_unit() if user else None,
        via=_channel.get(),
    )


def record(
    *,
    actor: User | None,
    action: str,
    obj: models.Model,
    org_unit: OrgUnit | None = None,
    changes: dict[str, Any] | None = None,
    object_repr: str | None = None,
    sensitivity: str = "normal",
) -> AuditEntry:
    written = entry(
        actor=actor,
        action=action,
        obj=obj,
        org_unit=org_unit,
        changes=changes,
        object_repr=object_repr,
        sensitivity=sensitivity,
    )
    written.save(force_insert=True)
    return written


def entry(
    *,
    actor: User | None,
    action: str,
    obj: models.Model,
    org_unit: OrgUnit | None = None,
    changes: dict[str, Any] | None = None,
    object_repr: str | None = None,
    sensitivity: str = "normal",
) -> AuditEntry:
    """The audit entry `record` writes, not yet saved (for writing many at once)."""
    return AuditEntry(
        actor=actor,
        actor_name=actor.get_username() if actor else "system",
        action=action,
        object_type=obj._meta.label_lower,
        object_id=str(obj.pk),
        object_repr=(object_repr if object_repr is not None else str(obj))[:200],
        org_unit=org_unit,
        changes=changes or {},
        via=_channel.get(),
        sensitivity=sensitivity,
    )
