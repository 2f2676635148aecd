"""The pages a customer reaches from our messages: double opt-in, the preference center
and unsubscribing, in their language, with forged or old links changing nothing."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from django.test import Client

from luukku.consent import links, services
from luukku.consent.gate import may_contact
from luukku.consent.models import ConsentRecord, Source
from luukku.consent.services import Evidence
from tests.consent.conftest import World
from tests.test_jobs import run_due_jobs
from tests.test_staff_email_smtp import use_smtp

pytestmark = pytest.mark.django_db(transaction=True)


def _path(link: str) -> str:
    return link.split("://", 1)[1].split("/", 1)[1].join(["/", ""])


def test_double_opt_in_takes_effect_only_when_the_mailed_link_is_followed(
    world: World, smtp_server: Any, settings: Any
) -> None:
    inbox, port = smtp_server
    use_smtp(settings, f"smtp://127.0.0.1:{port}")
    ingrid, news = world.ingrid, world.newsletter
    services.ask_for_consent(
        ingrid,
        news,
        Evidence(source=Source.LANDING_PAGE, ip="192.0.2.9"),
        email="ingrid@example.test",
    )
    assert may_contact(ingrid, news, "email").reason == "pending"
    run_due_jobs()
    [(recipients, mail)] = inbox.messages
    assert recipients == ["ingrid@example.test"]
    assert mail["Subject"] == "Bekreft: Nyhetsbrev fra treningssenteret"  # in her language
    body = mail.get_content()
    assert "Nyhetsbrev fra treningssenteret" in body
    link = re.search(r"https?://\S+/p/confirm/\S+/", body)
    assert link is not None

    client = Client(HTTP_USER_AGENT="Thunderbird")
    shown = client.get(_path(link.group(0)))
    assert shown.status_code == 200 and "Bekreft" in shown.content.decode()
    assert may_contact(ingrid, news, "email").reason == "pending"  # a look is no yes

    client.post(_path(link.group(0)))
    assert may_contact(ingrid, news, "email").reason == "granted"
    assert may_contact(ingrid, news, "sms").reason == "granted"
    grant = ConsentRecord.objects.filter(person=ingrid, action="granted").first()
    assert grant is not None and grant.source == "double_opt_in"
    assert grant.user_agent == "Thunderbird" and grant.confirms is not None
    assert grant.confirms.ip == "192.0.2.9"
    client.post(_path(link.group(0)))  # twice: recorded once
    assert ConsentRecord.objects.filter(person=ingrid, action="granted").count() == 2


def test_forged_or_expired_links_say_so_and_change_nothing(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    ingrid = world.ingrid
    [asked, _sms] = services.record(
        ingrid, world.newsletter, "requested", Evidence(source=Source.LANDING_PAGE)
    )
    good = _path(links.confirmation_link(asked))
    forged = good.replace("/p/confirm/", "/p/confirm/x")
    client = Client()
    page = client.post(forged)
    assert page.status_code == 400 and "does not work" in page.content.decode()
    unsubscribe = _path(links.unsubscribe_link(ingrid, world.newsletter, "email"))
    assert client.post(unsubscribe[:-3] + "xx/").status_code == 400
    monkeypatch.setattr(links, "CONFIRM_FOR", dt.timedelta(seconds=-1))
    page = client.post(good)
    assert page.status_code == 400 and "expired" in page.content.decode()
    assert may_contact(ingrid, world.newsletter, "email").reason == "pending"
    assert not ConsentRecord.objects.filter(action="withdrawn").exists()


def test_the_preference_center_changes_each_choice_and_unsubscribes_from_everything(
    world: World,
) -> None:
    ingrid, news, offers = world.ingrid, world.newsletter, world.offers
    services.record(ingrid, news, "granted", Evidence(source=Source.FORM))
    page_url = _path(links.preferences_link(ingrid))
    client = Client()
    page = client.get(page_url).content.decode()
    assert "Nyhetsbrev fra treningssenteret" in page  # her language's text
    boxes = dict(re.findall(r'name="(p\d+-\w+)"( checked)?', page))
    assert boxes == {
        f"p{news.pk}-email": " checked",
        f"p{news.pk}-sms": " checked",
        f"p{offers.pk}-email": " checked",  # legitimate interest: on until she objects
        f"p{world.notices.pk}-email": " checked",
        f"p{world.notices.pk}-letter": "",
    }
    # She keeps the newsletter by SMS only and objects to housing offers.
    client.post(page_url, {f"p{news.pk}-sms": "on", f"p{world.notices.pk}-email": "on"})
    assert may_contact(ingrid, news, "email").reason == "withdrawn"
    assert may_contact(ingrid, news, "sms").reason == "granted"
    assert may_contact(ingrid, offers, "email").reason == "withdrawn"
    sources = set(ConsentRecord.objects.filter(person=ingrid).values_list("source", flat=True))
    assert sources == {"form", "preference_center"}

    client.post(page_url, {"everything": "withdraw"})
    assert may_contact(ingrid, news, "sms").reason == "unsubscribed"
    page = client.get(page_url).content.decode()
    assert "Du har meldt deg av all markedsføring." in page  # in her language

    # Ticking the newsletter by SMS again lifts the block; nothing else comes back on.
    client.post(page_url, {f"p{news.pk}-sms": "on"})
    assert may_contact(ingrid, news, "sms").reason == "granted"
    assert may_contact(ingrid, news, "email").reason == "withdrawn"
    assert may_contact(ingrid, offers, "email").reason == "withdrawn"


def test_one_click_unsubscribe_works_without_a_session_and_a_look_changes_nothing(
    world: World,
) -> None:
    ingrid, news = world.ingrid, world.newsletter
    services.record(ingrid, news, "granted", Evidence(source=Source.FORM))
    url = _path(links.unsubscribe_link(ingrid, news, "email"))
    client = Client(enforce_csrf_checks=True)
    assert client.get(url).status_code == 200  # a link checker's look
    assert may_contact(ingrid, news, "email")
    answer = client.post(url, {"List-Unsubscribe": "One-Click"})
    assert answer.status_code == 200 and answer.content == b"Unsubscribed.\n"
    assert may_contact(ingrid, news, "email").reason == "withdrawn"
    assert may_contact(ingrid, news, "sms")  # only what the message came by
    assert ConsentRecord.objects.filter(source="one_click").count() == 1
