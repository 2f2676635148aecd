"""What a recipient does with a campaign mail is seen on the delivery and their
timeline; a changed link is refused, records nothing and redirects nowhere."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from luukku.campaigns.models import Delivery, Run
from luukku.campaigns.services import schedule as schedule_campaign
from luukku.consent.gate import may_contact
from luukku.customers.models import Event
from tests.campaigns.test_sending import Sink, _campaign, sink  # noqa: F401 (a fixture)
from tests.segments.conftest import People, people  # noqa: F401 (a fixture)
from tests.test_jobs import run_due_jobs

pytestmark = pytest.mark.django_db(transaction=True)


def _sent(sink: Sink, people: People) -> dict[str, str]:  # noqa: F811
    schedule_campaign(_campaign(people), None, by=people.marketer)
    run_due_jobs()
    return {
        rcpt[0]: message.get_body(("html",)).get_content()  # type: ignore[union-attr]
        for _s, rcpt, message in sink.messages
    }


def _path(url: str) -> str:
    return url.removeprefix("https://luukku.example.test")


def test_a_click_is_redirected_to_the_link_and_lands_on_the_timeline(
    sink: Sink,  # noqa: F811
    people: People,  # noqa: F811
) -> None:
    html = _sent(sink, people)["anna@example.test"]
    click = re.search(r'href="(https://luukku\.example\.test/t/c/[^"]+)"', html)[1]  # type: ignore[index]
    pixel = re.search(r'src="(https://luukku\.example\.test/t/o/[^"]+)"', html)[1]  # type: ignore[index]
    client = Client()
    ours = Event.objects.filter(type="campaign.clicked", payload__has_key="delivery")

    forged = re.sub(r"/[^/]+/$", "/AAAAAAAAAAAAAAAA/", _path(click))
    assert client.get(forged).status_code == 404
    other_link = re.sub(r"/t/c/(\d+)/0/", r"/t/c/\1/1/", _path(click))
    assert client.get(other_link).status_code == 404  # the signature covers the link
    assert not ours.exists()

    answer = client.get(_path(click), HTTP_USER_AGENT="Mozilla/5.0 (X11; Linux) Firefox/128.0")
    assert answer.status_code == 302
    assert answer["Location"] == "https://example.test/spring?x=1&y=2"
    pixel_answer = client.get(_path(pixel), HTTP_USER_AGENT="GoogleImageProxy")
    assert pixel_answer["Content-Type"] == "image/gif"

    delivery = Delivery.objects.get(person=people.anna)
    assert delivery.clicked_at is not None and delivery.opened_at is not None
    clicked = ours.get(person=people.anna)
    assert clicked.payload["link"] == "https://example.test/spring?x=1&y=2"
    opened = Event.objects.get(type="campaign.opened", person=people.anna)
    assert opened.payload["proxy"] is True
    assert Run.objects.get().links.get().clicks == 1


def test_one_click_unsubscribe_withdraws_consent_and_counts_for_the_campaign(
    sink: Sink,  # noqa: F811
    people: People,  # noqa: F811
) -> None:
    _sent(sink, people)
    message = next(m for _s, rcpt, m in sink.messages if rcpt == ["bjorn@example.test"])
    url = _path(message["List-Unsubscribe"].strip("<>"))
    client = Client(enforce_csrf_checks=True)
    assert client.get(url).status_code == 200  # a page with a button: GET changes nothing
    assert may_contact(people.bjorn, people.news, "email").allowed

    answer = client.post(url, {"List-Unsubscribe": "One-Click"})
    assert answer.status_code == 200
    assert not may_contact(people.bjorn, people.news, "email").allowed
    assert Delivery.objects.get(person=people.bjorn).unsubscribed_at is not None
    assert Event.objects.filter(type="campaign.unsubscribed", person=people.bjorn).count() == 1
    assert client.post(url[:-3] + "xx/", {"List-Unsubscribe": "One-Click"}).status_code == 404
