"""What the audit log may say about customer records.

The audit log is read by administrators, who need not be staff of a restricted
unit (ADR 0006). For restricted records it therefore names the record by type and
id and lists the changed fields without their values.
"""

from __future__ import annotations

from typing import Any

from django.db import models

from luukku.customers.models import Sensitivity


def is_restricted(obj: models.Model) -> bool:
    return getattr(obj, "sensitivity", Sensitivity.NORMAL) == Sensitivity.RESTRICTED


def label(obj: models.Model) -> str:
    if is_restricted(obj):
        return f"{obj._meta.verbose_name} #{obj.pk}"
    return str(obj)


def changes(obj: models.Model, changes: dict[str, Any]) -> dict[str, Any]:
    if is_restricted(obj):
        return {name: ["…", "…"] for name in changes}
    return changes
