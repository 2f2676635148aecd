"""Who may see and work which cases.

Cases belong to the org unit of their queue. Staff see the cases of the units
where they hold the permission (and the units below); a restricted case (a
restricted queue, say the health service's) only through a membership in its
unit below the top level, as for restricted customer data (ADR 0006). Views,
API handlers and jobs load cases and queues only through here.
"""

from __future__ import annotations

from django.db.models import Q, QuerySet
from django.http import Http404
from django.utils.translation import gettext as _

from luukku.channels.models import InboundReceipt
from luukku.core.access import AccessDenied, Perm, can, units_for_restricted, units_where
from luukku.core.models import User
from luukku.customers.models import Sensitivity
from luukku.desk.models import Case, Queue


def _in_reach(actor: User, perm: Perm) -> Q:
    return Q(org_unit__in=units_where(actor, perm)) & (
        Q(sensitivity=Sensitivity.NORMAL) | Q(org_unit__in=units_for_restricted(actor, perm))
    )


def cases_visible_to(actor: User, perm: Perm = Perm.CASE_VIEW) -> QuerySet[Case]:
    return Case.objects.filter(_in_reach(actor, perm))


def queues_visible_to(actor: User, perm: Perm = Perm.CASE_VIEW) -> QuerySet[Queue]:
    return Queue.objects.filter(_in_reach(actor, perm))


def case_for_actor(actor: User, number: int, perm: Perm = Perm.CASE_VIEW) -> Case:
    """One case by number: 404 if there is none, 403 if it is not the actor's to see or work."""
    case = cases_visible_to(actor, perm).filter(number=number).first()
    if case is not None:
        return case
    if cases_visible_to(actor).filter(number=number).exists():
        raise AccessDenied(_("You do not have permission to do this here."))
    raise Http404(_("No such case."))


def queue_for_actor(actor: User, slug: str, perm: Perm = Perm.CASE_WORK) -> Queue:
    queue = queues_visible_to(actor, perm).filter(slug=slug).first()
    if queue is not None:
        return queue
    if queues_visible_to(actor).filter(slug=slug).exists():
        raise AccessDenied(_("You do not have permission to do this here."))
    raise Http404(_("No such queue."))


def may_see(user: User, case: Case) -> bool:
    """Whether `user` may see `case` (health cases: only the health unit's staff)."""
    if not can(user, Perm.CASE_VIEW, case.org_unit):
        return False
    if case.sensitivity != Sensitivity.RESTRICTED:
        return True
    return units_for_restricted(user, Perm.CASE_VIEW).filter(pk=case.org_unit_id).exists()


def may_work(user: User, case: Case) -> bool:
    """Whether `user` may answer and change `case` (an assignee must be able to, too)."""
    if not can(user, Perm.CASE_WORK, case.org_unit):
        return False
    if case.sensitivity != Sensitivity.RESTRICTED:
        return True
    return units_for_restricted(user, Perm.CASE_WORK).filter(pk=case.org_unit_id).exists()


def receipts_visible_to(actor: User) -> QuerySet[InboundReceipt]:
    """Inbound messages of the mailboxes whose units `actor` manages the desk in; a
    restricted queue's mailbox only for staff of its unit (the raw mail is shown)."""
    managed = units_where(actor, Perm.DESK_MANAGE)
    restricted_ok = units_for_restricted(actor, Perm.DESK_MANAGE)
    return InboundReceipt.objects.filter(mailbox__org_unit__in=managed).filter(
        Q(mailbox__queue__isnull=True)
        | Q(mailbox__queue__sensitivity=Sensitivity.NORMAL)
        | Q(mailbox__org_unit__in=restricted_ok)
    )
