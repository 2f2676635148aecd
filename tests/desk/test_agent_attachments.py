"""Files an agent adds: sent with the reply as real MIME parts, kept with a note, refused
over the limit before anything is saved."""

from __future__ import annotations

import base64
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from luukku.channels.email.receive import accept
from luukku.channels.models import Mailbox
from luukku.desk import attachments
from luukku.desk.models import Attachment, Case, Direction
from tests.conftest import bearer
from tests.desk.conftest import Desk
from tests.factories import PASSWORD
from tests.test_jobs import run_due_jobs
from tests.test_staff_email_smtp import use_smtp

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
MAIL = (
    b"From: Kari Nordmann <kari.n@example.no>\r\nTo: housing@demo.luukku.test\r\n"
    b"Subject: Husleie\r\nMessage-ID: <rent@example.no>\r\n\r\nKan jeg faa kvittering?\r\n"
)


def _agent() -> Client:
    client = Client()
    assert client.login(username="kari", password=PASSWORD)
    return client


@pytest.mark.django_db(transaction=True)
def test_a_reply_from_the_composer_carries_the_file_to_the_customer(
    desk: Desk, mailbox: Mailbox, settings: Any, smtp_server: Any
) -> None:
    sink, port = smtp_server
    use_smtp(settings, f"smtp://127.0.0.1:{port}")
    accept(mailbox, MAIL)
    case = Case.objects.get()
    client = _agent()
    client.get(f"/desk/cases/{case.number}/")  # opening it claims it
    case.refresh_from_db()

    response = client.post(
        f"/desk/cases/{case.number}/messages/",
        {
            "kind": "reply",
            "version": case.version,
            "text": "Kvitteringen ligger ved.",
            "files": [SimpleUploadedFile("kvittering.pdf", PDF, "application/pdf")],
        },
    )
    assert response.status_code == 302
    run_due_jobs()

    reply = case.messages.get(direction=Direction.OUTBOUND)
    assert [(a.filename, a.content_type) for a in reply.attachments.all()] == [
        ("kvittering.pdf", "application/pdf")
    ]
    sent = sink.messages[-1][1]
    parts = [(p.get_filename(), p.get_content_type()) for p in sent.iter_attachments()]
    assert parts == [("kvittering.pdf", "application/pdf")]
    assert next(sent.iter_attachments()).get_content() == PDF
    assert "Kvitteringen ligger ved." in sent.get_body(("plain",)).get_content()


@pytest.mark.django_db
def test_a_file_over_the_limit_is_refused_and_nothing_is_saved(
    desk: Desk, mailbox: Mailbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(attachments, "MAX_BYTES", 1024 * 1024)
    accept(mailbox, MAIL)
    case = Case.objects.get()
    client = _agent()
    page = client.get(f"/desk/cases/{case.number}/")
    case.refresh_from_db()

    response = client.post(
        f"/desk/cases/{case.number}/messages/",
        {
            "kind": "note",
            "version": case.version,
            "text": "Skannet kontrakt.",
            "files": [SimpleUploadedFile("kontrakt.tif", b"\0" * (2 * 1024 * 1024), "image/tiff")],
        },
        follow=True,
    )

    assert page.status_code == 200
    assert "kontrakt.tif is larger than the 1 MB limit" in response.content.decode()
    assert "Skannet kontrakt." in response.content.decode()  # the text is kept
    assert case.messages.count() == 1 and not Attachment.objects.exists()


@pytest.mark.django_db
def test_the_api_adds_a_note_with_a_file_and_refuses_broken_base64(
    desk: Desk, mailbox: Mailbox
) -> None:
    accept(mailbox, MAIL)
    case = Case.objects.get()
    api = bearer(desk.kari)
    url = f"/api/v1/cases/{case.number}/messages"
    body = {
        "kind": "note",
        "text": "Kontrakten.",
        "version": case.version,
        "attachments": [
            {
                "filename": "kontrakt.pdf",
                "content_type": "application/pdf",
                "content_base64": base64.b64encode(PDF).decode(),
            }
        ],
    }

    created = api.post(url, body, content_type="application/json")

    assert created.status_code == 201, created.content
    assert [(a["filename"], a["size"]) for a in created.json()["attachments"]] == [
        ("kontrakt.pdf", len(PDF))
    ]
    case.refresh_from_db()
    body["version"] = case.version
    body["attachments"][0]["content_base64"] = "not base64!"  # type: ignore[index]
    broken = api.post(url, body, content_type="application/json")
    assert broken.status_code == 422
    assert "kontrakt.pdf: content_base64 is not valid base64" in broken.json()["detail"]
    assert case.messages.count() == 2


@pytest.mark.django_db
def test_files_over_the_limit_together_are_refused(
    desk: Desk, mailbox: Mailbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    """One mail carries them all: each under the limit, together over it."""
    monkeypatch.setattr(attachments, "MAX_BYTES", 1024 * 1024)
    accept(mailbox, MAIL)
    case = Case.objects.get()
    api = bearer(desk.kari)
    part = base64.b64encode(b"%PDF" + b"\0" * (600 * 1024)).decode()
    files = [
        {"filename": f"del{n}.pdf", "content_type": "application/pdf", "content_base64": part}
        for n in (1, 2)
    ]

    refused = api.post(
        f"/api/v1/cases/{case.number}/messages",
        {"kind": "note", "text": "To deler.", "version": case.version, "attachments": files},
        content_type="application/json",
    )

    assert refused.status_code == 422
    assert "the files together is larger than the 1 MB limit" in refused.json()["detail"]
    assert case.messages.count() == 1
