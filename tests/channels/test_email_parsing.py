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
    assert message.subject or message.text or message.attachments or message.bounce


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


@pytest.mark.parametrize(
    ("name", "text", "files"),
    [
        (
            "16-outlook-reply-sv.eml",
            "Tack för svaret!\n\nFrån: Housing <housing@demo.luukku.test>\nÄmne: [#1001] Hyra",
            [],
        ),
        ("17-finnish-vs-reply.eml", "Kiitos, avain löytyi.", []),
        ("18-iso-8859-15-euro.eml", "Summa 120 € maksettu.", []),
        ("19-base64-body.eml", "Hei! Dette var base64-kodet, med æøå.", []),
        ("20-qp-html-only.eml", "Navn: Kari\n\nMelding: Lyset i trappen virker ikke.", []),
        ("21-rfc2231-filename.eml", "Se vedlegg.", ["Søknad om bolig.pdf"]),
        ("22-smime-signed.eml", "Denne meldingen er signert.", ["smime.p7s"]),
        ("23-calendar-invite.eml", "Forslag til befaring mandag kl. 10.", ["invitation.ics"]),
        ("24-no-content-type.eml", "Ingen Content-Type her.", []),
        ("25-8bit-no-charset.eml", "Blåbær og øl.", []),
        ("28-empty-body.eml", "", []),
        ("29-only-attachment.eml", "", ["scan.jpg"]),
        ("36-apple-mail-html-related.eml", "Døren er ødelagt.", ["door.png"]),
        ("38-broken-base64.eml", "Hei!", []),
        ("41-windows-1252-html.eml", "Priset € 50 – är för högt.", []),
        ("42-nested-multipart-depth.eml", "Deep text.", []),
    ],
)
def test_mail_from_many_clients_and_charsets_reads_as_written(
    name: str, text: str, files: list[str]
) -> None:
    message = read(name)
    assert message.text == text
    assert [a.filename for a in message.attachments] == files


def test_folded_duplicated_and_odd_headers() -> None:
    folded = read("26-folded-long-headers.eml")
    assert folded.subject == "A subject that is folded over several lines because it is long"
    assert folded.recipients == ["housing@demo.luukku.test", "other@example.no", "third@example.no"]
    assert read("27-duplicate-headers.eml").subject == "First subject"
    assert read("39-bad-date-and-charset-name.eml").subject == "Æroses"
    assert read("40-cc-only-to-us.eml").recipients == [
        "landlord@example.no",
        "housing@demo.luukku.test",
    ]


def test_an_encoded_line_break_in_a_subject_stays_inside_it() -> None:
    assert read("30-encoded-word-injection.eml").subject == "Hello Bcc: victim@example.com"


@pytest.mark.parametrize(
    ("name", "reason"),
    [("33-x-autoreply.eml", "X-Autoreply present"), ("34-precedence-bulk.eml", "Precedence: bulk")],
)
def test_more_automatic_mail(name: str, reason: str) -> None:
    assert read(name).automatic == reason


def test_a_delay_is_not_a_bounce_and_an_exchange_ndr_is() -> None:
    delayed = read("31-dsn-delayed.eml").bounce
    assert delayed is not None and (delayed.status, delayed.permanent) == ("4.4.7", False)
    ndr = read("32-exchange-ndr.eml").bounce
    assert ndr is not None
    assert (ndr.recipient, ndr.status, ndr.permanent) == ("nobody@example.com", "5.1.10", True)
    assert ndr.original_message_id == "<luukku.1001.9@demo.luukku.test>"
