"""Staff hear of what happens to cases as each wishes: assigned to them, the customer's
answer, a mention in a note, a new case in their queues, their case's SLA; in the app,
by email now, or gathered in a daily digest."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core import mail
from django.test import Client
from django.utils import timezone

from luukku.core.models import Notification, NotificationPreference, Role
from luukku.core.notifications import send_email_digests
from luukku.desk.models import Case, SlaPolicy
from luukku.desk.services import NewMessage, add_note, assign_case, open_case, receive
from luukku.desk.sla_policies import save_policy
from luukku.desk.sla_scheduler import take_due
from tests.desk.conftest import Desk
from tests.factories import PASSWORD, user_with

pytestmark = pytest.mark.django_db


def _case(desk: Desk, queue: object = None) -> Case:
    return open_case(
        queue=queue or desk.housing,  # type: ignore[arg-type]
        subject="Broken lock",
        by=None,
        channel="email",
        person=desk.customer,
        first=NewMessage(text="The lock is broken.", sender="aino@example.test"),
    )


def _notes(username: str) -> list[Notification]:
    return list(Notification.objects.filter(user__username=username).order_by("pk"))


def test_assignment_answers_and_mentions_reach_the_right_people(desk: Desk) -> None:
    desk.ola.email = "ola@example.test"
    desk.ola.save()
    case = _case(desk)
    assign_case(case, to=desk.ola, by=desk.kari, version=None)
    (assigned,) = _notes("ola")
    assert assigned.kind == "assigned" and assigned.title.endswith("assigned to you")
    assert assigned.email == "queued" and assigned.link == f"/desk/cases/{case.number}/"

    receive(Case.objects.get(pk=case.pk), NewMessage(text="Any news?", sender="a@example.test"))
    answered = _notes("ola")[-1]
    assert answered.kind == "customer_replied" and answered.email == ""  # in the app only

    add_note(
        Case.objects.get(pk=case.pk),
        by=desk.kari,
        text="@ola can you check? @nurse too, and mail@example.test is no mention",
        version=None,
    )
    mentioned = _notes("ola")[-1]
    assert mentioned.kind == "mentioned" and "Kari" in mentioned.title
    assert _notes("nurse") == []  # may not see housing cases: not told
    assert _notes("kari") == []  # one does not hear of one's own doing


def test_a_new_case_in_my_queues_only_when_i_ask_for_it(desk: Desk) -> None:
    supervisor = user_with(Role.SUPERVISOR, desk.tree.housing, username="siri")
    NotificationPreference.objects.create(user=supervisor, event="new_case", in_app=True)
    _case(desk)
    _case(desk, desk.health)
    assert [n.kind for n in _notes("siri")] == ["new_case"]  # not the health case
    assert _notes("kari") == []


def test_a_daily_digest_gathers_the_emails(desk: Desk) -> None:
    desk.ola.email = "ola@example.test"
    desk.ola.save()
    NotificationPreference.objects.create(
        user=desk.ola, event="assigned", in_app=True, email=True, digest=True
    )
    for _n in range(2):
        assign_case(_case(desk), to=desk.ola, by=desk.kari, version=None)
    assert [n.email for n in _notes("ola")] == ["digest", "digest"]
    assert send_email_digests.call() == 0  # not a day old yet
    Notification.objects.update(created_at=timezone.now() - dt.timedelta(hours=25))
    mail.outbox.clear()
    assert send_email_digests.call() == 1
    (digest,) = mail.outbox
    assert digest.to == ["ola@example.test"] and digest.subject == "Luukku: 2 notifications"
    assert digest.body.count("assigned to you") == 2
    assert {n.email for n in _notes("ola")} == {"sent"}


def test_the_assignee_hears_of_their_deadline_without_an_escalation_step(desk: Desk) -> None:
    save_policy(
        SlaPolicy(name="Fast", org_unit=desk.tree.housing, first_response_minutes=10), by=None
    )
    case = _case(desk)
    assign_case(case, to=desk.ola, by=desk.kari, version=None)
    take_due(now=timezone.now() + dt.timedelta(minutes=9))
    sla = _notes("ola")[-1]
    assert sla.kind == "sla" and sla.title.endswith("the first response deadline is near")


def test_choices_are_made_on_the_settings_page(desk: Desk) -> None:
    client = Client()
    assert client.login(username="kari", password=PASSWORD)
    page = client.get("/settings/").content.decode()
    assert 'name="assigned-email" aria-label="A case is assigned to me: Email" checked' in page
    client.post(
        "/settings/",
        {"form": "notifications", "assigned-in_app": "on", "new_case-in_app": "on"},
    )
    wishes = {p.event: (p.in_app, p.email) for p in desk.kari.notification_preferences.all()}
    assert wishes["assigned"] == (True, False) and wishes["new_case"] == (True, False)
    assert wishes["mentioned"] == (False, False)
