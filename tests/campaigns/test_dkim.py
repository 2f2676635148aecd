"""With a DKIM key configured, campaign mail is signed, and the signature verifies
against the public key a receiving server would find in DNS."""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Any

import dkim
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from luukku.campaigns.services import schedule as schedule_campaign
from tests.campaigns.test_sending import Sink, _campaign, sink  # noqa: F401 (a fixture)
from tests.segments.conftest import People, people  # noqa: F401 (a fixture)
from tests.test_jobs import run_due_jobs

pytestmark = pytest.mark.django_db(transaction=True)


def test_campaign_mail_is_signed_with_dkim(
    sink: Sink,  # noqa: F811
    people: People,  # noqa: F811
    settings: Any,
    tmp_path: Path,
) -> None:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.TraditionalOpenSSL,
        serialization.NoEncryption(),
    )
    (tmp_path / "dkim.pem").write_bytes(pem)
    settings.LUUKKU_DKIM_KEY_FILE = str(tmp_path / "dkim.pem")
    settings.LUUKKU_DKIM_SELECTOR, settings.LUUKKU_DKIM_DOMAIN = "mail", "nordby.example"
    raw: list[bytes] = []
    original = type(sink).handle_DATA

    async def keep(self: Sink, server: Any, session: Any, envelope: Any) -> str:
        raw.append(envelope.original_content)
        return await original(self, server, session, envelope)

    type(sink).handle_DATA = keep  # type: ignore[method-assign]
    try:
        schedule_campaign(_campaign(people), None, by=people.marketer)
        run_due_jobs()
    finally:
        type(sink).handle_DATA = original  # type: ignore[method-assign]

    public = key.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    record = b"v=DKIM1; k=rsa; p=" + base64.b64encode(public)

    def dns(name: bytes, timeout: int = 5) -> bytes:
        return record if name == b"mail._domainkey.nordby.example." else b""

    assert len(raw) == 2
    for message in raw:
        assert message.startswith(b"DKIM-Signature:")
        assert dkim.verify(message, dnsfunc=dns)
        assert not dkim.verify(message.replace(b"Feedback-ID: ", b"Feedback-ID: 9"), dnsfunc=dns)
