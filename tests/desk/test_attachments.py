"""Files that come with mail: kept within a limit, typed by their content, downloaded
only by those who may see the case, never shown inline."""

from __future__ import annotations

import base64
from pathlib import Path

import pytest
from django.test import Client

from luukku.channels.email.receive import accept
from luukku.channels.models import Mailbox
from luukku.desk import attachments
from luukku.desk.models import Attachment, Case
from tests.conftest import bearer
from tests.desk.conftest import Desk
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db

CORPUS = Path(__file__).parent.parent / "channels" / "corpus"


def with_attachment(name: str, declared: str, data: bytes) -> bytes:
    encoded = base64.b64encode(data).decode()
    return (
        "From: Kari <kari@example.no>\r\nTo: housing@demo.luukku.test\r\n"
        f"Subject: File\r\nMessage-ID: <{name}@example.no>\r\nMIME-Version: 1.0\r\n"
        'Content-Type: multipart/mixed; boundary="b"\r\n\r\n'
        "--b\r\nContent-Type: text/plain\r\n\r\nSee the file.\r\n"
        f'--b\r\nContent-Type: {declared}\r\nContent-Disposition: attachment; filename="{name}"\r\n'
        f"Content-Transfer-Encoding: base64\r\n\r\n{encoded}\r\n--b--\r\n"
    ).encode()


def test_attachments_and_inline_images_are_kept_with_their_real_type(mailbox: Mailbox) -> None:
    accept(mailbox, (CORPUS / "06-alternative-inline-image-attachment.eml").read_bytes())

    kept = {(a.filename, a.content_type, a.inline) for a in Attachment.objects.all()}
    assert kept == {("skade.png", "image/png", True), ("kontrakt.pdf", "application/pdf", False)}
    pdf = Attachment.objects.get(filename="kontrakt.pdf")
    assert pdf.file.read().startswith(b"%PDF-1.4") and pdf.file.name != "kontrakt.pdf"


def test_an_executable_calling_itself_a_pdf_is_typed_as_what_it_is(mailbox: Mailbox) -> None:
    accept(mailbox, with_attachment("invoice.pdf", "application/pdf", b"MZ\x90\x00" + b"\0" * 64))

    assert Attachment.objects.get().content_type == "application/x-msdownload"


def test_a_file_over_the_limit_is_not_kept_and_the_agent_is_told(
    mailbox: Mailbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(attachments, "MAX_BYTES", 1024 * 1024)

    accept(mailbox, with_attachment("scan.tif", "image/tiff", b"\0" * (2 * 1024 * 1024)))

    message = Case.objects.get().messages.get()
    assert message.body_text == "See the file."
    assert message.problems == "scan.tif (2 MB) is over the 1 MB limit: not kept"
    assert not Attachment.objects.exists()


def test_a_hostile_file_name_is_made_harmless(mailbox: Mailbox) -> None:
    accept(mailbox, with_attachment("../../etc/pass\x07wd", "text/plain", b"x"))

    assert Attachment.objects.get().filename == "pass_wd"


def test_downloads_are_for_those_who_see_the_case_and_never_inline(
    desk: Desk, mailbox: Mailbox
) -> None:
    accept(mailbox, with_attachment("note.html", "text/html", b"<script>alert(1)</script>"))
    case = Case.objects.get()
    attachment = Attachment.objects.get()
    url = f"/desk/cases/{case.number}/attachments/{attachment.pk}/"

    kari = Client()
    assert kari.login(username="kari", password=PASSWORD)
    response = kari.get(url)
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment;")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert b"".join(response.streaming_content) == b"<script>alert(1)</script>"  # type: ignore[attr-defined]

    nurse = Client()
    assert nurse.login(username="nurse", password=PASSWORD)
    assert nurse.get(url).status_code == 404
    detail = bearer(desk.kari).get(f"/api/v1/cases/{case.number}").json()
    assert detail["messages"][0]["attachments"] == [
        {"filename": "note.html", "content_type": "text/html", "size": 25, "url": url}
    ]
