"""Escalation: a warned or breached SLA tells the responsible in the app, by email over
SMTP and by SMS through the provider's HTTP API, and can raise or hand on the case."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from luukku.channels.models import OutboundSms
from luukku.channels.sms import provider as sms_provider_module
from luukku.core.models import Notification, Role
from luukku.desk.models import (
    Case,
    Escalation,
    EscalationStep,
    HistoryEntry,
    SlaPolicy,
)
from luukku.desk.services import NewMessage, assign_case, open_case
from luukku.desk.sla_policies import save_policy
from luukku.desk.sla_scheduler import take_due
from tests.conftest import bearer
from tests.desk.conftest import Desk
from tests.factories import PASSWORD, user_with
from tests.sms_provider import FakeProvider
from tests.test_jobs import make_due, run_due_jobs
from tests.test_staff_email_smtp import use_smtp

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def watched(desk: Desk) -> tuple[SlaPolicy, Any]:
    """A ten-minute first response, warned at half time, and who hears of it."""
    supervisor = user_with(
        Role.SUPERVISOR,
        desk.tree.housing,
        username="siri",
        first_name="Siri",
        email="siri@example.test",
        mobile="+4791234567",
    )
    policy = save_policy(
        SlaPolicy(
            name="Fast",
            org_unit=desk.tree.housing,
            first_response_minutes=10,
            warn_at_percent=50,
        ),
        by=None,
    )
    warn = EscalationStep.objects.create(policy=policy, on="warned", by_sms=True)
    EscalationStep.objects.create(
        policy=policy,
        on="breached",
        notify_assignee=False,
        notify_supervisors=False,
        by_email=False,
        raise_priority=True,
        reassign_to=desk.ola,
    )
    return policy, (supervisor, warn)


def _case(desk: Desk) -> Case:
    return open_case(
        queue=desk.housing,
        subject="No heating in flat 4",
        by=None,
        channel="email",
        person=desk.customer,
        first=NewMessage(text="It is cold.", sender="aino@example.test"),
    )


def test_a_warning_reaches_the_supervisor_in_the_app_by_email_and_by_sms(
    desk: Desk, watched: Any, smtp_server: Any, sms_provider: FakeProvider, settings: Any
) -> None:
    inbox, port = smtp_server
    use_smtp(settings, f"smtp://127.0.0.1:{port}")
    _policy, (supervisor, _step) = watched
    case = _case(desk)
    assign_case(case, to=desk.kari, by=desk.kari, version=None)

    done = take_due(now=timezone.now() + dt.timedelta(minutes=6))
    assert [d.kind for d in done] == ["warned"]
    run_due_jobs()

    notes = Notification.objects.filter(kind="desk.escalated").order_by("user__username")
    assert [n.user.username for n in notes] == ["kari", "siri"]
    siri = notes.get(user=supervisor)
    assert siri.title.endswith("the first response deadline is near")
    assert siri.email == "sent" and siri.sms == "sent"
    recipients = sorted(r for rcpts, _m in inbox.messages for r in rcpts)
    assert "siri@example.test" in recipients
    mail = next(m for rcpts, m in inbox.messages if rcpts == ["siri@example.test"])
    assert f"/desk/cases/{case.number}/" in mail.get_content()
    assert [(m["To"], m["From"]) for m in sms_provider.sent] == [("+4791234567", "Nordby")]
    assert f"/desk/cases/{case.number}/" in sms_provider.sent[0]["Body"]
    escalated = HistoryEntry.objects.get(case=case, kind="escalated")
    assert sorted(escalated.details["notified"]) == ["kari", "siri"]

    # The supervisor sees it in "escalated to me", and the bell counts it.
    client = Client()
    assert client.login(username="siri", password=PASSWORD)
    overview = client.get("/desk/").content.decode()
    assert "Escalated to me" in overview and "No heating in flat 4" in overview
    assert '>Notifications <span class="badge"' in client.get("/").content.decode()
    opened = client.get(f"/notifications/{siri.pk}/open/")
    assert opened["Location"] == f"/desk/cases/{case.number}/"
    siri.refresh_from_db()
    assert siri.read_at is not None
    listed = bearer(supervisor).get("/api/v1/cases", {"escalated_to_me": "true"}).json()
    assert [c["number"] for c in listed["items"]] == [case.number]
    assert bearer(desk.ola).get("/api/v1/cases", {"escalated_to_me": "true"}).json()["items"] == []


def test_a_breach_raises_the_case_and_hands_it_on(desk: Desk, watched: Any) -> None:
    case = _case(desk)
    take_due(now=timezone.now() + dt.timedelta(minutes=11))
    case.refresh_from_db()
    assert case.priority == "high" and case.assignee == desk.ola
    entry = HistoryEntry.objects.filter(case=case, kind="escalated").last()
    assert entry is not None and entry.details["assignee"] == "ola"
    assert entry.details["priority"] == ["normal", "high"]
    assert Escalation.objects.filter(case=case, kind="breached").count() == 0  # nobody told


def test_an_sms_provider_that_times_out_is_retried_and_a_refusal_is_shown(
    desk: Desk, watched: Any, sms_provider: FakeProvider, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sms_provider_module, "TIMEOUT", 0.5)
    sms_provider.delay = 2.0
    _case(desk)
    take_due(now=timezone.now() + dt.timedelta(minutes=6))
    run_due_jobs()
    row = OutboundSms.objects.get()
    assert row.status == "queued" and row.attempts == 1
    assert "did not answer" in row.error
    retry = DBTaskResult.objects.filter(task_path__endswith="send_sms").get()
    assert retry.status == "READY"  # waiting for its next attempt

    sms_provider.delay = 0
    sms_provider.answer = 400  # the provider now refuses it for good
    make_due(str(retry.pk))
    run_due_jobs()
    row.refresh_from_db()
    assert row.status == "failed" and "HTTP 400" in row.error
    note = Notification.objects.get(user__username="siri")
    assert note.sms == "failed" and "HTTP 400" in note.delivery_error

    client = Client()
    assert client.login(username="siri", password=PASSWORD)
    assert "HTTP 400" in client.get("/notifications/").content.decode()


def test_one_case_that_cannot_be_escalated_does_not_stop_the_others(
    desk: Desk, watched: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from luukku.desk import escalation

    broken, fine = _case(desk), _case(desk)
    real_tell = escalation._tell

    def tell(step: Any, clock: Any, kind: str, people: Any) -> None:
        if clock.case_id == broken.pk:
            raise RuntimeError("the mail template is broken")
        real_tell(step, clock, kind, people)

    monkeypatch.setattr(escalation, "_tell", tell)
    done = take_due(now=timezone.now() + dt.timedelta(minutes=6))
    assert sorted(d.clock.case_id for d in done) == sorted([broken.pk, fine.pk])
    failed = HistoryEntry.objects.get(case=broken, kind="escalation_failed")
    assert "the mail template is broken" in failed.details["error"]
    assert HistoryEntry.objects.filter(case=fine, kind="escalated").exists()
    assert not Escalation.objects.filter(case=broken).exists()  # its step undone whole
    assert take_due(now=timezone.now() + dt.timedelta(minutes=6)) == []  # warned once
