"""The building blocks of campaign content: Liquid checked before anything is sent, with
the line and the reason; and SMS length as the networks count it."""

from __future__ import annotations

import pytest

from luukku.channels.sms.length import measure
from luukku.core.templating import TemplateProblem, check, render

SAMPLE = {"person": {"first_name": "Ingrid", "custom": {"member_since": "2024"}}}


def test_a_template_is_checked_against_every_variable_there_is() -> None:
    check("Hei {{ person.first_name }}, {{ person.custom.member_since }}", SAMPLE)
    check("Hei {{ person.nickname | default: 'venn' }}", SAMPLE)  # unknown, with a default
    with pytest.raises(TemplateProblem, match=r"line 2, column 3: person.nickname is undefined"):
        check("Hei\n{{ person.nickname }}", SAMPLE)
    with pytest.raises(TemplateProblem, match=r"line 3"):
        check("a\nb\n{% if %}x{% endif %}", SAMPLE)
    with pytest.raises(TemplateProblem, match="loop iteration limit"):
        check("{% for i in (1..100000) %}x{% endfor %}", SAMPLE)
    assert render("Hei {{ person.first_name | upcase }}", SAMPLE) == "Hei INGRID"


@pytest.mark.parametrize(
    ("text", "encoding", "segments", "not_gsm"),
    [
        ("", "GSM-7", 0, ""),
        ("Hei Åse! Ærlig talt, bøker på Ørsta?", "GSM-7", 1, ""),  # Norwegian fits GSM-7
        ("Hyvää päivää, Jyväskylä!", "GSM-7", 1, ""),  # so does Finnish
        ("a" * 160, "GSM-7", 1, ""),
        ("a" * 161, "GSM-7", 2, ""),  # 153 a segment once split
        ("€" * 80, "GSM-7", 1, ""),  # the euro counts twice: 160
        ("€" * 81, "GSM-7", 2, ""),
        ("Buorre beaivi, Áilu Čáhppes", "UCS-2", 1, "ÁČá"),  # Sámi letters are not GSM
        ("“Hi”" + "a" * 66, "UCS-2", 1, "“”"),  # curly quotes: 70 in one
        ("🙂" + "a" * 68, "UCS-2", 1, "🙂"),  # an emoji is two UTF-16 units: 70 in one
        ("🙂" + "a" * 69, "UCS-2", 2, "🙂"),  # 71: two segments
    ],
)
def test_sms_length_as_networks_count_it(
    text: str, encoding: str, segments: int, not_gsm: str
) -> None:
    length = measure(text)
    assert (length.encoding, length.segments, length.not_gsm) == (encoding, segments, not_gsm)


def test_what_is_left_in_the_segment() -> None:
    assert measure("a" * 150).left_in_segment == 10
    assert measure("a" * 200).left_in_segment == 106  # two segments of 153


MJML = """<mjml>
  <mj-head><mj-style>.lead { color: #204080; }</mj-style></mj-head>
  <mj-body>
    <mj-section><mj-column>
      <mj-text css-class="lead">Hei {{ person.first_name }}!</mj-text>
      <mj-button href="https://example.test/yoga?id={{ person.id }}">Book a class</mj-button>
    </mj-column></mj-section>
  </mj-body>
</mjml>"""


def test_an_mjml_email_is_rendered_escaped_inlined_and_given_a_text_part() -> None:
    from luukku.campaigns.content import Format, compose

    parts = compose(
        subject="Nytt fra treningen, {{ person.first_name }}",
        body=MJML,
        body_format=Format.MJML,
        variables={"person": {"first_name": "<Ingrid & Co>", "id": 7}},
    )
    assert parts.subject == "Nytt fra treningen, <Ingrid & Co>"  # a subject is plain text
    assert "Hei &lt;Ingrid &amp; Co&gt;!" in parts.html  # the body escapes what it inserts
    assert "<script" not in parts.html
    assert 'href="https://example.test/yoga?id=7"' in parts.html
    assert "style=" in parts.html and "<mj-" not in parts.html
    assert "googleapis" not in parts.html  # no web font fetched from a third party
    assert "Hei <Ingrid & Co>!" in parts.text
    assert "Book a class (https://example.test/yoga?id=7)" in parts.text
    assert ".lead" not in parts.text  # no style sheet in the text part


def test_each_step_says_what_failed() -> None:
    from luukku.campaigns.content import Format, compose

    ok = {"person": {"first_name": "A"}}
    with pytest.raises(TemplateProblem, match="line 1"):
        compose(subject="{{ person.nope }}", body="<p>x</p>", body_format=Format.HTML, variables=ok)
    with pytest.raises(TemplateProblem, match="MJML cannot be read"):
        compose(subject="s", body="<mjml><mj-body>", body_format=Format.MJML, variables=ok)
