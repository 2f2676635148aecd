"""Reading real-world mail: charsets, HTML-only, attachments, forwards, automatic mail,
bounces, broken MIME and hostile HTML. Every message yields something usable."""

from __future__ import annotations

from pathlib import Path

import pytest

from luukku.channels.email.parse import parse_email
from luukku.channels.inbound import InboundMessage

CORPUS = Path(__file__).parent / "corpus"


def read(name: str) -> InboundMessage:
    return parse_email((CORPUS / name).read_bytes())


@pytest.mark.parametrize("name", sorted(p.name for p in CORPUS.glob("*.eml")))
def test_every_message_of_the_corpus_is_read_without_an_error(name: str) -> None:
    message = read(name)
    assert message.channel == "email"
    assert message.text or message.attachments or message.bounce


def test_plain_utf8_mail() -> None:
    m = read("01-plain-utf8.eml")
    assert (m.sender, m.sender_name) == ("kari.nordmann@example.no", "Kari Nordmann")
    assert m.external_id == "<plain-1@example.no>"
    assert m.subject == "Lekker dusj i leilighet 4B"
    assert "vannet renner ut på gulvet" in m.text
    assert m.automatic == "" and m.bounce is None


def test_html_only_mail_gets_a_text_and_no_style_or_title() -> None:
    m = read("02-html-only.eml")
    assert m.subject == "Gluteeniton lounas"
    assert m.text == "Onko kirjaston ruokalassa gluteenitonta?\n\nKiitos,\nAino"
    assert "<style>" not in m.html and "color:red" not in m.text


def test_latin1_headers_and_quoted_printable_body() -> None:
    m = read("03-latin1-encoded-word.eml")
    assert m.sender_name == "Bjørn Sæther"
    assert m.subject == "Fryse medlemskap på grunn av utveksling"
    assert "Østerrike" in m.text


def test_windows_1252_and_an_unknown_charset_are_still_read() -> None:
    assert "Hyran € 1200 – stämmer inte." in read("04-cp1252-labelled-latin1.eml").text
    odd = read("05-unknown-charset.eml")
    assert "Käytävä on rikki." in odd.text
    assert any("charset" in p for p in odd.problems)


def test_inline_images_and_attachments_are_kept_and_remote_images_dropped() -> None:
    m = read("06-alternative-inline-image-attachment.eml")
    assert m.text == "Se bildet av skaden."
    assert m.recipients == ["housing@demo.luukku.test", "kari@example.no"]
    files = {(a.filename, a.content_type, a.content_id, a.inline) for a in m.attachments}
    assert files == {
        ("skade.png", "image/png", "damage@example.no", True),
        ("kontrakt.pdf", "application/pdf", "", False),
    }
    assert 'src="cid:damage@example.no"' in m.html
    assert "tracker.example.com" not in m.html


def test_a_forwarded_message_is_kept_whole_as_an_attachment() -> None:
    m = read("07-forwarded-rfc822.eml")
    assert m.text == "Se vedlagt klage."
    [forwarded] = m.attachments
    assert forwarded.content_type == "message/rfc822"
    assert b"Dette er ikke greit." in forwarded.data
    assert b"Message-ID: <inner@example.no>" in forwarded.data


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("08-outlook-out-of-office.eml", "Auto-Submitted: auto-replied"),
        ("09-list-mail.eml", "Precedence: list"),
        ("10-bounce-dsn.eml", "Auto-Submitted: auto-replied"),
    ],
)
def test_automatic_mail_is_recognized(name: str, reason: str) -> None:
    assert read(name).automatic == reason


def test_a_person_writing_is_not_automatic() -> None:
    assert read("13-gmail-reply.eml").automatic == ""


def test_a_delivery_status_notification_names_the_message_and_the_address() -> None:
    bounce = read("10-bounce-dsn.eml").bounce
    assert bounce is not None
    assert bounce.original_message_id == "<case-1001-reply-1@demo.luukku.test>"
    assert (bounce.recipient, bounce.status, bounce.permanent) == ("gone@example.no", "5.1.1", True)
    assert "User unknown" in bounce.diagnostic


def test_broken_mime_is_read_as_far_as_it_goes_and_the_defects_are_listed() -> None:
    m = read("11-malformed-mime.eml")
    assert "The boundary never ends" in m.text
    assert m.problems


def test_hostile_html_is_defused() -> None:
    html = read("12-hostile-html.eml").html
    for dangerous in ("<script", "onclick", "onerror", "javascript:", "<iframe", "<form", "<input"):
        assert dangerous not in html
    assert "Hello" in html


def test_reply_headers_give_the_thread() -> None:
    m = read("13-gmail-reply.eml")
    assert m.in_reply_to == "<case-1001-reply-1@demo.luukku.test>"
    assert m.references == ["<plain-1@example.no>", "<case-1001-reply-1@demo.luukku.test>"]
    assert m.text.startswith("Takk, det passer fint på mandag.")


def test_winmail_dat_is_kept_as_an_attachment() -> None:
    [tnef] = read("14-winmail-dat.eml").attachments
    assert (tnef.filename, tnef.data) == ("winmail.dat", b"TNEF-DATA")


def test_a_message_without_id_or_sender_address_is_still_read() -> None:
    m = read("15-no-message-id-bad-from.eml")
    assert (m.sender, m.external_id, m.subject) == ("", "", "")
    assert m.text == "Who am I?"
