"""A reusable block (a footer with the sender and the unsubscribe link) written once,
used in an email with {% include %}, checked on save, sent as part of the email."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.test import Client

from luukku.campaigns.models import Block, Campaign, Content
from luukku.campaigns.services import save_content
from luukku.campaigns.services import schedule as schedule_campaign
from tests.campaigns.test_sending import Sink, _campaign, sink  # noqa: F401 (a fixture)
from tests.factories import PASSWORD
from tests.segments.conftest import People, people  # noqa: F401 (a fixture)
from tests.test_jobs import run_due_jobs

pytestmark = pytest.mark.django_db(transaction=True)

FOOTER = """<mj-section><mj-column><mj-text>
Nordby Fitness, {{ person.city | default: "Norway" }} ·
<a href="{{ unsubscribe_url }}">Meld deg av</a></mj-text></mj-column></mj-section>"""


def test_a_block_is_checked_and_sent_as_part_of_the_email(sink: Sink, people: People) -> None:  # noqa: F811
    client = Client()
    assert client.login(username="maria", password=PASSWORD)
    bad = client.post(
        "/campaigns/blocks/new/",
        {
            "name": "Footer",
            "key": "footer",
            "org_unit": people.tree.root.pk,
            "body": "Hei\n{{ person.shoe }}",
        },
    )
    assert "line 2, column 3: person.shoe is undefined" in bad.content.decode()
    made = client.post(
        "/campaigns/blocks/new/",
        {"name": "Footer", "key": "footer", "org_unit": people.tree.root.pk, "body": FOOTER},
    )
    assert made.status_code == 302 and Block.objects.filter(key="footer").exists()

    campaign = _campaign(people)
    content = Content.objects.get(campaign=campaign)
    original = content.body
    with pytest.raises(ValidationError, match="line 2: there is no block fotter"):
        content.body = "<mjml><mj-body>\n{% include 'fotter' %}</mj-body></mjml>"
        save_content(content)
    content.body = original.replace("</mj-body>", "{% include 'footer' %}</mj-body>")
    save_content(content)
    schedule_campaign(Campaign.objects.get(pk=campaign.pk), None, by=people.marketer)
    run_due_jobs()

    html = next(m for _s, r, m in sink.messages if r == ["anna@example.test"]).get_body(("html",))
    text = html.get_content()  # type: ignore[union-attr]
    assert "Nordby Fitness, Oslo" in text and "Meld deg av" in text
    assert "Meld av" not in text  # its own unsubscribe link: no standard footer besides


FRAME = """<mjml><mj-body>
<mj-section><mj-column><mj-text>NORDBY HEADER</mj-text></mj-column></mj-section>
{% content %}
{% include 'footer' %}
</mj-body></mjml>"""


def test_a_layout_frames_the_email(sink: Sink, people: People) -> None:  # noqa: F811
    Block.objects.create(key="footer", name="Footer", org_unit=people.tree.root, body=FOOTER)
    client = Client()
    assert client.login(username="maria", password=PASSWORD)
    made = client.post(
        "/campaigns/blocks/new/",
        {"name": "Frame", "key": "frame", "org_unit": people.tree.root.pk, "body": FRAME},
    )
    assert made.status_code == 302
    campaign = _campaign(people)
    content = Content.objects.get(campaign=campaign)
    content.body = (
        "{% layout 'frame' %}\n<mj-section><mj-column><mj-text>Hei {{ person.first_name }}!"
        "</mj-text></mj-column></mj-section>"
    )
    save_content(content)
    schedule_campaign(Campaign.objects.get(pk=campaign.pk), None, by=people.marketer)
    run_due_jobs()
    html = next(m for _s, r, m in sink.messages if r == ["anna@example.test"]).get_body(("html",))
    text = html.get_content()  # type: ignore[union-attr]
    assert text.index("NORDBY HEADER") < text.index("Hei Anna!") < text.index("Nordby Fitness")
