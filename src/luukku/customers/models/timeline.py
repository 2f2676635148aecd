from __future__ import annotations

from typing import Any

from django.db import connection, models
from django.utils.translation import gettext_lazy as _

from luukku.core.models import OrgUnit
from luukku.customers.models.parties import Sensitivity


class AppendOnlyError(RuntimeError):
    pass


# Any constant; writers of events hold it shared, deleters of persons exclusively.
TIMELINE_LOCK = 0x4C55554B


def hold_timeline(*, exclusive: bool = False) -> None:
    """Until the transaction ends: writers of events (shared) and deleters of persons
    (exclusive) exclude each other, so no event is written for a person being deleted."""
    if connection.vendor != "postgresql":
        return  # SQLite runs one writing transaction at a time anyway
    function = "pg_advisory_xact_lock" if exclusive else "pg_advisory_xact_lock_shared"
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {function}(%s)", [TIMELINE_LOCK])


class Event(models.Model):
    """One thing that happened with a person. Append-only: writers add, nobody edits history.

    On PostgreSQL the table is range-partitioned by month on `occurred_at` (migration
    0002); the primary key there is (id, occurred_at), so nothing may reference events.
    """

    person = models.ForeignKey(
        "customers.Person",
        on_delete=models.CASCADE,
        related_name="events",
        db_index=False,
        db_constraint=False,  # checked by writers, not per row at commit: ADR 0008
    )
    type = models.CharField(_("type"), max_length=100)
    occurred_at = models.DateTimeField(_("occurred"))
    recorded_at = models.DateTimeField(_("recorded"), auto_now_add=True)
    source = models.CharField(_("source"), max_length=64, default="luukku")
    org_unit = models.ForeignKey(
        OrgUnit,
        on_delete=models.DO_NOTHING,
        null=True,
        blank=True,
        related_name="+",
        db_constraint=False,
        verbose_name=_("org unit"),
    )
    sensitivity = models.CharField(
        _("sensitivity"), max_length=16, choices=Sensitivity.choices, default=Sensitivity.NORMAL
    )
    payload = models.JSONField(_("details"), default=dict, blank=True)
    idempotency_key = models.CharField(max_length=200, null=True, blank=True)  # noqa: DJ001 (NULL means no key)

    class Meta:
        verbose_name = _("event")
        verbose_name_plural = _("events")
        indexes = [
            models.Index(fields=["person", "-occurred_at"], name="event_person_time"),
            models.Index(fields=["type", "occurred_at"], name="event_type_time"),
        ]

    def __str__(self) -> str:
        return f"{self.type} {self.occurred_at:%Y-%m-%d %H:%M}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None:
            raise AppendOnlyError("Timeline events cannot be changed.")
        super().save(*args, **kwargs)


class EventKey(models.Model):
    """Idempotency keys of ingested events: an event whose key is here is not stored again."""

    key = models.CharField(max_length=300, primary_key=True, help_text="source:key")
    event_id = models.BigIntegerField()

    class Meta:
        verbose_name = _("event key")
        verbose_name_plural = _("event keys")

    def __str__(self) -> str:
        return self.key
