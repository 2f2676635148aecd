"""Escalation: when a clock warns or breaches, its policy's steps tell the people
responsible (in the app, by email, by SMS) and may raise the case or hand it on."""

from __future__ import annotations

import logging
from collections.abc import Sequence

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

from luukku.channels.sms.send import queue_sms
from luukku.core.middleware import preferred_language
from luukku.core.models import Membership, Notification, NotificationEvent, Role, User
from luukku.core.notifications import notify, notify_event, record_delivery
from luukku.desk import automation
from luukku.desk.models import (
    Case,
    Escalation,
    EscalationStep,
    HistoryEntry,
    Milestone,
    SlaClock,
    Target,
)

NOTIFICATION_KIND = "desk.escalated"
logger = logging.getLogger(__name__)


def supervisors_of(case: Case) -> list[User]:
    """Supervisors of the case's unit and of the units above it."""
    ids = case.org_unit.path_ids()
    members = Membership.objects.filter(role=Role.SUPERVISOR, org_unit_id__in=ids)
    return list(User.objects.filter(Q(memberships__in=members), is_active=True).distinct())


def _recipients(step: EscalationStep, case: Case) -> list[User]:
    people: list[User] = []
    if step.notify_assignee and case.assignee is not None:
        people.append(case.assignee)
    if step.notify_supervisors:
        people += supervisors_of(case)
    people += list(step.notify_users.all())
    unique: dict[int, User] = {}
    for person in people:
        unique.setdefault(person.pk, person)
    return list(unique.values())


def _title(case: Case, target: str, kind: str) -> str:
    values = {"case": case.reference, "target": str(Target(target).label).lower()}
    if kind == Milestone.BREACHED:
        return _("%(case)s: the %(target)s deadline has passed") % values
    return _("%(case)s: the %(target)s deadline is near") % values


def _tell(step: EscalationStep, clock: SlaClock, kind: str, people: list[User]) -> None:
    case = clock.case
    link = reverse("desk:case", args=[case.number])
    for person in people:
        with translation.override(preferred_language(person) or settings.LANGUAGE_CODE):
            title = _title(case, clock.target, kind)
            body = _("Subject: %(subject)s") % {"subject": case.subject}
        (row,) = notify(
            [person],
            kind=NOTIFICATION_KIND,
            title=title,
            body=body,
            link=link,
            email=step.by_email,
        ) or (None,)
        if row is None:
            continue
        if step.by_sms and person.mobile:
            queue_sms(
                to=person.mobile,
                text=f"{title} {settings.LUUKKU_BASE_URL}{link}",
                origin=f"core.notification:{row.pk}",
            )
            Notification.objects.filter(pk=row.pk).update(sms=Notification.Delivery.QUEUED)


def escalate(done: Sequence[tuple[SlaClock, str]]) -> int:
    """Run the steps of each warned or breached clock's policy; how many steps ran."""
    policy_ids = {clock.policy_id for clock, _kind in done}
    steps: dict[tuple[int, str], list[EscalationStep]] = {}
    for step in EscalationStep.objects.filter(policy_id__in=policy_ids).prefetch_related(
        "notify_users"
    ):
        steps.setdefault((step.policy_id, step.on), []).append(step)
    ran = 0
    for clock, kind in done:
        try:
            with transaction.atomic():  # one clock's failure leaves the others' steps
                ran += _run_steps(clock, kind, steps.get((clock.policy_id, kind), []))
        except Exception as error:
            logger.exception("Escalation of case %s failed", clock.case_id)
            HistoryEntry.objects.create(
                case_id=clock.case_id,
                kind="escalation_failed",
                details={"target": clock.target, "kind": kind, "error": str(error)[:500]},
            )
    return ran


def _run_steps(clock: SlaClock, kind: str, steps: list[EscalationStep]) -> int:
    told: set[int] = set()
    case = Case.objects.select_related("org_unit", "assignee").get(pk=clock.case_id)
    for step in steps:
        people = _recipients(step, case)
        told |= {p.pk for p in people}
        Escalation.objects.bulk_create(
            Escalation(case=case, user=p, step=step, target=clock.target, kind=kind) for p in people
        )
        _tell(step, clock, kind, people)
        details = {
            "target": clock.target,
            "kind": kind,
            "notified": [p.get_username() for p in people],
        }
        if step.raise_priority or step.reassign_to_id:
            case = automation.escalate_case(  # the next step sees the case as this one left it
                case,
                raise_priority=step.raise_priority,
                reassign_to=step.reassign_to,
                details=details,
            )
        else:
            HistoryEntry.objects.create(
                case=case, kind="escalated", details={**details, "version": case.version}
            )
    _tell_assignee(case, clock, kind, told)
    return len(steps)


def _tell_assignee(case: Case, clock: SlaClock, kind: str, told: set[int]) -> None:
    """The assignee hears of their case's deadline as they wish, unless a step told them."""
    if case.assignee is None or case.assignee_id in told:
        return
    with translation.override(preferred_language(case.assignee) or settings.LANGUAGE_CODE):
        title = _title(case, clock.target, kind)
    notify_event(
        [case.assignee],
        event=NotificationEvent.SLA,
        title=title,
        body=case.subject,
        link=reverse("desk:case", args=[case.number]),
    )


def delivery_of_notification(notification_id: int, status: str, error: str = "") -> None:
    """The SMS of a notification was sent or failed: show it on the notification."""
    record_delivery(notification_id, "sms", status, error)
