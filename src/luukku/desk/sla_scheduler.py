"""The SLA scheduler: warns and breaches the clocks whose moment has come; recomputes."""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import dataclass

from django.db import transaction
from django.db.models import Case as Choose
from django.db.models import F, Q, When
from django.utils import timezone

from luukku.desk.escalation import escalate
from luukku.desk.models import Case, ClockState, HistoryEntry, Milestone, SlaClock, SlaEvent
from luukku.desk.sla import Tick, event_row, follow_changes


@dataclass
class Due:
    clock: SlaClock
    kind: str  # Milestone.WARNED or Milestone.BREACHED


def take_due(*, now: datetime.datetime | None = None, limit: int = 500) -> list[Due]:
    """Warn and breach the clocks whose moment has come, at most `limit` of them, in one
    transaction; concurrent schedulers take different clocks. Returns what it did."""
    now = now or timezone.now()
    done: list[Due] = []
    with transaction.atomic():
        clocks = list(
            SlaClock.objects.select_for_update(skip_locked=True, of=("self",))
            .filter(check_at__lte=now)
            .select_related("policy", "case")
            .order_by("check_at")[:limit]
        )
        events = []
        for clock in clocks:  # their next check is written by _save_marks, in SQL
            if clock.state != ClockState.RUNNING or clock.due_at is None:
                continue
            kinds = []
            if clock.warned_at is None and clock.warn_at and clock.warn_at <= now:
                clock.warned_at = now
                kinds.append(Milestone.WARNED)
            if clock.breached_at is None and clock.due_at <= now:
                clock.breached_at = now
                kinds.append(Milestone.BREACHED)
            for kind in kinds:
                done.append(Due(clock, kind))
                events.append(event_row(clock.case, Tick(clock, kind, now)))
        _save_marks(done, [c.pk for c in clocks], now)
        escalate([(d.clock, d.kind) for d in done])
        SlaEvent.objects.bulk_create(events)
        HistoryEntry.objects.bulk_create(
            HistoryEntry(
                case=due.clock.case,
                kind=f"sla_{due.kind}",
                details={
                    "target": due.clock.target,
                    "due": due.clock.due_at.isoformat() if due.clock.due_at else None,
                    "version": due.clock.case.version,
                },
            )
            for due in done
        )
    return done


def recompute(cases: Iterable[Case]) -> int:
    """Match the cases to policies again and work their deadlines out anew."""
    count = 0
    for case in cases:
        with transaction.atomic():
            locked = Case.objects.select_for_update(of=("self",)).select_related("org_unit")
            current = locked.get(pk=case.pk)
            follow_changes([(current, "recomputed")])
            count += 1
    return count


def _save_marks(done: list[Due], taken: list[int], now: datetime.datetime) -> None:
    """Three statements for any number of clocks (not a CASE per row and field); the
    next check is the rule of `sla._place`: the warning, then the deadline, then none."""
    warned = [d.clock.pk for d in done if d.kind == Milestone.WARNED]
    breached = [d.clock.pk for d in done if d.kind == Milestone.BREACHED]
    SlaClock.objects.filter(pk__in=warned).update(warned_at=now)
    SlaClock.objects.filter(pk__in=breached).update(breached_at=now)
    SlaClock.objects.filter(pk__in=taken).update(
        check_at=Choose(
            When(~Q(state=ClockState.RUNNING) | Q(due_at__isnull=True), then=None),
            When(warned_at__isnull=True, then=F("warn_at")),
            When(breached_at__isnull=True, then=F("due_at")),
            default=None,
        )
    )
