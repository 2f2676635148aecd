"""Telling staff what happened to cases, as each of them wishes (core/notifications.py):
a new case in their queues, a case assigned to them, the customer's answer on their
case, a mention in a note ("@kari"), an SLA deadline of their case."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import TYPE_CHECKING

from django.urls import reverse
from django.utils.translation import gettext as _

from luukku.core.models import NotificationEvent, User
from luukku.core.notifications import notify_event, opted_in
from luukku.desk.access import may_see
from luukku.desk.models import Case, Message

if TYPE_CHECKING:
    from luukku.desk.changes import Change

MENTION = re.compile(r"(?<![\w@])@([\w.+-]+)")


def _link(case: Case) -> str:
    return reverse("desk:case", args=[case.number])


def _title(case: Case, what: str) -> str:
    return f"{case.reference}: {what}"


def tell_staff(changes: Sequence[Change]) -> None:
    """Notifications for a batch of changes to cases."""
    created = [c for c in changes if c.kind == "case_created"]
    if created:
        _new_cases([c.case for c in created])
    for change in changes:
        case = change.case
        if change.kind == "assigned" and case.assignee_id and case.assignee_id != _by(change):
            notify_event(
                [case.assignee],  # type: ignore[list-item]
                event=NotificationEvent.ASSIGNED,
                title=_title(case, _("assigned to you")),
                body=case.subject,
                link=_link(case),
            )
        elif change.kind == "customer_wrote" and case.assignee_id:
            notify_event(
                [case.assignee],  # type: ignore[list-item]
                event=NotificationEvent.CUSTOMER_REPLIED,
                title=_title(case, _("the customer answered")),
                body=case.subject,
                link=_link(case),
            )
        elif change.kind == "note_added":
            _mentions(change)


def _by(change: Change) -> int | None:
    return change.by.pk if change.by is not None else None


def _new_cases(cases: list[Case]) -> None:
    by_unit: dict[int, list[Case]] = {}
    for case in cases:
        by_unit.setdefault(case.org_unit_id, []).append(case)
    for group in by_unit.values():
        people = opted_in(NotificationEvent.NEW_CASE, group[0].org_unit.path_ids())
        for case in group if people else []:
            watching = [p for p in people if may_see(p, case)]
            notify_event(
                watching,
                event=NotificationEvent.NEW_CASE,
                title=_title(case, _("new case in %(queue)s") % {"queue": case.queue.name}),
                body=case.subject,
                link=_link(case),
            )


def _mentions(change: Change) -> None:
    message_id = change.details.get("message")
    message = Message.objects.filter(pk=message_id).first() if message_id else None
    names = set(MENTION.findall(message.body_text)) if message else set()
    if not names:
        return
    case = change.case
    people = [
        u
        for u in User.objects.filter(username__in=names, is_active=True)
        if may_see(u, case) and u.pk != _by(change)
    ]
    author = change.by.get_full_name() or change.by.get_username() if change.by else ""
    notify_event(
        people,
        event=NotificationEvent.MENTIONED,
        title=_title(case, _("%(name)s mentioned you") % {"name": author}),
        body=message.body_text[:300] if message else "",
        link=_link(case),
    )
