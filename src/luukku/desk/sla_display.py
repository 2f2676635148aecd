"""SLA clocks as an agent reads them on the case page."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from luukku.core.business_time import ALWAYS_OPEN, business_time_between
from luukku.desk.models import Case, ClockState, StatusCategory, Target
from luukku.desk.sla import ACTIVE, ZERO, schedule_for_case


@dataclass
class ClockView:
    label: str
    standing: str  # ok, warning, breached, paused, met, stopped
    due_at: datetime.datetime | None
    text: str  # "2 h 15 min left", "overdue by 40 min", "met", "paused: pending customer"


def _duration(amount: datetime.timedelta) -> str:
    minutes = int(abs(amount).total_seconds() // 60)
    hours, minutes = divmod(minutes, 60)
    if hours:
        return _("%(hours)d h %(minutes)d min") % {"hours": hours, "minutes": minutes}
    return _("%(minutes)d min") % {"minutes": minutes}


def clock_views(case: Case, *, now: datetime.datetime | None = None) -> list[ClockView]:
    """The case's clocks as an agent reads them: business time left, or how late."""
    now = now or timezone.now()
    clocks = sorted(case.sla_clocks.select_related("policy"), key=lambda c: ORDER[c.target])
    schedule = schedule_for_case(case) if any(c.state in ACTIVE for c in clocks) else ALWAYS_OPEN
    views = []
    for clock in clocks:
        label = str(Target(clock.target).label)
        if clock.state == ClockState.RUNNING and clock.due_at is not None:
            left = business_time_between(schedule, now, clock.due_at)
            if left <= ZERO:
                text = _("overdue by %(time)s") % {"time": _duration(left)}
                standing = "breached"
            else:
                text = _("%(time)s left") % {"time": _duration(left)}
                standing = "warning" if clock.warn_at and clock.warn_at <= now else "ok"
            views.append(ClockView(label, standing, clock.due_at, text))
        elif clock.state == ClockState.PAUSED:
            reason = PAUSE_REASONS.get(clock.pause_reason, clock.pause_reason)
            views.append(ClockView(label, "paused", None, _("paused: %(why)s") % {"why": reason}))
        elif clock.state == ClockState.MET:
            late = clock.breached_at is not None
            views.append(ClockView(label, "met", clock.met_at, _("met late") if late else _("met")))
    return views


ORDER: dict[str, int] = {Target.FIRST_RESPONSE: 0, Target.NEXT_RESPONSE: 1, Target.RESOLUTION: 2}
PAUSE_REASONS = {
    StatusCategory.PENDING_CUSTOMER: StatusCategory.PENDING_CUSTOMER.label,
    StatusCategory.PENDING_THIRD_PARTY: StatusCategory.PENDING_THIRD_PARTY.label,
    "reopened": gettext_lazy("resolved"),
}
