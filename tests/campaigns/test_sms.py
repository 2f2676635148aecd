"""An SMS campaign goes through the provider (a loopback stand-in for Twilio's Messages
API) from the unit's sender name, and the provider's signed delivery receipts mark
each message delivered or failed; a receipt with a wrong signature changes nothing."""

from __future__ import annotations

import urllib.parse
from typing import Any

import pytest
from django.test import Client

from luukku.campaigns.models import Campaign, Content, Delivery
from luukku.campaigns.services import save_content
from luukku.campaigns.services import schedule as schedule_campaign
from luukku.channels.models import SmsSender
from luukku.channels.sms.provider import signature
from luukku.customers.models import Event, PhoneNumber
from luukku.segments import membership
from luukku.segments.models import Segment
from tests.segments.conftest import People, people  # noqa: F401 (a fixture)
from tests.sms_provider import TOKEN, FakeProvider, sms_provider  # noqa: F401 (a fixture)
from tests.test_jobs import run_due_jobs

pytestmark = pytest.mark.django_db(transaction=True)


def _receipt(client: Client, callback: str, status: str, token: str = TOKEN) -> Any:
    params = {"MessageSid": "SM1", "MessageStatus": status}
    if status == "undelivered":
        params["ErrorCode"] = "30003"
    signed = signature(token, callback, params)
    return client.post(
        callback.removeprefix("https://luukku.example.test"), params, HTTP_X_TWILIO_SIGNATURE=signed
    )


def test_an_sms_campaign_is_sent_and_its_receipts_counted(
    sms_provider: FakeProvider,  # noqa: F811
    people: People,  # noqa: F811
    settings: Any,
) -> None:
    settings.LUUKKU_BASE_URL = "https://luukku.example.test"
    for someone, number in ((people.anna, "+4791000001"), (people.bjorn, "+4791000002")):
        PhoneNumber.objects.create(person=someone, number=number, kind="mobile", is_primary=True)
    people.news.channels = ["email", "sms"]
    people.news.save()
    from luukku.consent.models import Source
    from luukku.consent.services import Evidence, record

    for someone in (people.anna, people.bjorn):
        record(someone, people.news, "granted", Evidence(source=Source.FORM), channels=["sms"])
    SmsSender.objects.create(org_unit=people.tree.root, sender="Nordby")
    oslo = Segment.objects.create(
        name="Oslo", slug="oslo", org_unit=people.tree.root, kind="static"
    )
    membership.add_static(oslo, [people.anna.pk, people.bjorn.pk, people.eva.pk])
    campaign = Campaign.objects.create(
        name="Open day", org_unit=people.tree.housing, purpose=people.news, channels="sms"
    )
    campaign.segments.add(oslo)
    save_content(
        Content(
            campaign=campaign,
            channel="sms",
            language="nb",
            body="Hei {{ person.first_name }}! Åpen dag på lørdag.",
        )
    )
    schedule_campaign(campaign, None, by=people.marketer)
    run_due_jobs()

    sent = {m["To"]: m for m in sms_provider.sent}
    assert sorted(sent) == ["+4791000001", "+4791000002"]
    assert sent["+4791000001"]["Body"] == "Hei Anna! Åpen dag på lørdag."
    assert sent["+4791000001"]["From"] == "Nordby"  # the unit's sender, from the unit above
    assert Delivery.objects.get(person=people.eva).reason == "no_address"

    client = Client()
    anna_callback = sent["+4791000001"]["StatusCallback"]
    assert _receipt(client, anna_callback, "delivered", token="forged").status_code == 403
    assert Delivery.objects.get(person=people.anna).status == "sent"
    assert _receipt(client, anna_callback, "delivered").status_code == 204
    assert _receipt(client, sent["+4791000002"]["StatusCallback"], "undelivered").status_code == 204

    anna = Delivery.objects.get(person=people.anna)
    bjorn = Delivery.objects.get(person=people.bjorn)
    assert anna.status == "delivered"
    assert (bjorn.status, bjorn.error) == ("failed", "error 30003")
    assert Event.objects.filter(type="campaign.delivered", person=people.anna).count() == 1
    origin = urllib.parse.parse_qs(urllib.parse.urlsplit(anna_callback).query)["origin"]
    assert origin == [f"campaign.delivery:{anna.pk}"]
