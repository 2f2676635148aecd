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
from luukku.core.notifications import News, notify_each, notify_event, opted_in
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
    """Notifications for a batch of changes to cases: a few queries per kind of news,
    however many changes."""
    created = [c for c in changes if c.kind == "case_created"]
    if created:
        _new_cases([c.case for c in created])
    assigned = [
        c for c in changes if c.kind == "assigned" and c.case.assignee_id not in (None, _by(c))
    ]
    answered = [c for c in changes if c.kind == "customer_wrote" and c.case.assignee_id]
    assignees = User.objects.in_bulk({c.case.assignee_id for c in assigned + answered})
    for event, group, what in (
        (NotificationEvent.ASSIGNED, assigned, _("assigned to you")),
        (NotificationEvent.CUSTOMER_REPLIED, answered, _("the customer answered")),
    ):
        news = [
            News(assignees[c.case.assignee_id], _title(c.case, what), c.case.subject, _link(c.case))
            for c in group
            if c.case.assignee_id in assignees
        ]
        if news:
            notify_each(event, news)
    for change in changes:
        if change.kind == "note_added":
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
