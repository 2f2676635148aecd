"""System mail leaves through a real SMTP server (aiosmtpd on loopback)."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from django.utils import timezone
from django_tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from luukku.core.tasks import send_staff_email
from luukku.settings import _email_settings
from tests.test_jobs import run_due_jobs


class Inbox:
    def __init__(self) -> None:
        self.messages: list[tuple[list[str], EmailMessage]] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        parsed = message_from_bytes(envelope.content, policy=policy.default)
        self.messages.append((list(envelope.rcpt_tos), parsed))  # type: ignore[arg-type]
        return "250 Message accepted for delivery"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def smtp_server() -> Iterator[tuple[Inbox, int]]:
    inbox = Inbox()
    port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    yield inbox, port
    controller.stop()


def use_smtp(settings: Any, url: str) -> None:
    for name, value in _email_settings(url).items():
        setattr(settings, name, value)


@pytest.mark.django_db(transaction=True)
def test_a_staff_email_is_delivered_over_smtp(settings: Any, smtp_server) -> None:
    inbox, port = smtp_server
    use_smtp(settings, f"smtp://127.0.0.1:{port}")

    send_staff_email.enqueue(
        subject="Set your Luukku password", body="Hei Kari,\nfølg lenken.", to=["kari@example.test"]
    )
    run_due_jobs()

    assert len(inbox.messages) == 1
    recipients, message = inbox.messages[0]
    assert recipients == ["kari@example.test"]
    assert message["Subject"] == "Set your Luukku password"
    assert "følg lenken" in message.get_content()


@pytest.mark.django_db(transaction=True)
def test_when_the_smtp_server_is_down_the_mail_waits_for_a_retry(settings: Any) -> None:
    use_smtp(settings, f"smtp://127.0.0.1:{free_port()}")

    result = send_staff_email.enqueue(subject="Hello", body="Body", to=["kari@example.test"])
    run_due_jobs()

    row = DBTaskResult.objects.get(pk=result.id)
    assert row.status == TaskResultStatus.READY
    assert row.run_after > timezone.now()
    assert "ConnectionRefusedError" in row.traceback


def test_smtp_urls_are_understood() -> None:
    plain = _email_settings("smtp://mailer:s%40cret@mail.example.org:587?starttls=1")
    tls = _email_settings("smtps://mail.example.org")

    assert plain["EMAIL_HOST"] == "mail.example.org"
    assert plain["EMAIL_PORT"] == 587
    assert plain["EMAIL_HOST_USER"] == "mailer"
    assert plain["EMAIL_HOST_PASSWORD"] == "s@cret"
    assert plain["EMAIL_USE_TLS"] is True
    assert tls["EMAIL_USE_SSL"] is True
    assert tls["EMAIL_PORT"] == 465
    assert _email_settings("")["EMAIL_BACKEND"].endswith("console.EmailBackend")
