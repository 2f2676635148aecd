"""A marketer works a campaign through its pages: settings, content with a preview for
a member of the audience, the pre-flight report, a test send to staff, sending, the
progress, the report with its exports, the calendar and a comparison."""

from __future__ import annotations

import datetime
import re

import pytest
from django.core import mail
from django.test import Client
from django.utils import timezone

from luukku.campaigns.models import Campaign, Run
from luukku.segments import membership
from luukku.segments.models import Segment
from tests.campaigns.test_sending import BODY, Sink, sink  # noqa: F401 (a fixture)
from tests.factories import PASSWORD
from tests.segments.conftest import People, people  # noqa: F401 (a fixture)
from tests.test_jobs import run_due_jobs

pytestmark = pytest.mark.django_db(transaction=True)


def _client(people: People) -> Client:  # noqa: F811
    client = Client()
    assert client.login(username="maria", password=PASSWORD)
    return client


def test_a_campaign_from_settings_to_report(sink: Sink, people: People, settings) -> None:  # noqa: F811
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    oslo = Segment.objects.create(
        name="Oslo", slug="oslo", org_unit=people.tree.root, kind="static"
    )
    membership.add_static(oslo, [people.anna.pk, people.bjorn.pk, people.eva.pk])
    people.marketer.email = "maria@staff.test"
    people.marketer.save()
    client = _client(people)

    answer = client.post(
        "/campaigns/new/",
        {
            "name": "Spring",
            "org_unit": people.tree.root.pk,
            "purpose": people.news.pk,
            "segments": [oslo.pk],
            "channels": "email",
            "default_language": "nb",
            "ab_metric": "open",
            "ab_hours": 4,
            "goal_days": 7,
        },
    )
    campaign = Campaign.objects.get(name="Spring")
    assert answer.status_code == 302 and answer["Location"] == f"/campaigns/{campaign.pk}/"
    page = client.get(f"/campaigns/{campaign.pk}/").content.decode()
    assert "Write the email content in the default language (nb)." in page

    content_url = f"/campaigns/{campaign.pk}/content/email/nb/"
    editor = client.get(f"{content_url}?person={people.anna.pk}").content.decode()
    assert "Anna Test" in editor  # a member of the audience to preview for
    bad = client.post(
        content_url,
        {"subject": "Hei", "body_format": "mjml", "body": "{{ person.x }}", "save": "1"},
    )
    assert "person.x is undefined" in bad.content.decode()
    preview = client.post(
        content_url,
        {
            "subject": "Hei {{ person.first_name }}",
            "body_format": "mjml",
            "body": BODY,
            "person": people.bjorn.pk,
        },
        HTTP_HX_REQUEST="true",
    ).content.decode()
    assert "Hei Bjorn" in preview and "Meld av" in preview  # the footer is previewed too
    saved = client.post(
        content_url,
        {
            "subject": "Hei {{ person.first_name }}",
            "body_format": "mjml",
            "body": BODY,
            "save": "1",
        },
    )
    assert saved.status_code == 302

    page = client.get(f"/campaigns/{campaign.pk}/").content.decode()
    counts = dict(re.findall(r'data-count="(\w+)">(?:<strong>)?(\d+)', page))
    assert counts == {
        "audience": "3",
        "excluded": "0",
        "no_address": "0",
        "no_consent": "1",
        "frequency_cap": "0",
        "will_get": "2",
    }

    refused = client.post(
        f"/campaigns/{campaign.pk}/test/", {"to": "someone@outside.test"}, follow=True
    )
    assert "Test sends go to staff only" in refused.content.decode()
    client.post(f"/campaigns/{campaign.pk}/test/", {"person": people.anna.pk})
    run_due_jobs()
    assert [m.subject for m in mail.outbox] == ["[Test] Hei Anna"]
    assert mail.outbox[0].to == ["maria@staff.test"]

    client.post(f"/campaigns/{campaign.pk}/send/", {"at": ""})
    progress = client.get(f"/campaigns/{campaign.pk}/progress/").content.decode()
    assert 'hx-trigger="every 2s"' in progress  # polled while sending
    run_due_jobs()
    progress = client.get(f"/campaigns/{campaign.pk}/progress/").content.decode()
    assert 'data-status="sent">2<' in progress and "every 2s" not in progress
    assert len(sink.messages) == 2

    html = sink.messages[0][2].get_body(("html",)).get_content()
    click = re.search(r'href="https://luukku\.example\.test(/t/c/[^"]+)"', html)[1]
    Client().get(
        click,
        HTTP_USER_AGENT="Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) Mobile/15E148",
        REMOTE_ADDR="8.8.8.8",
    )
    report = client.get(f"/campaigns/{campaign.pk}/report/").content.decode()
    kpis = dict(re.findall(r'data-kpi="(\w+)">([^<]+)<', report))
    assert kpis["sent"] == "2" and kpis["clicked"].startswith("1 / 1 (50.0")
    assert kpis["opened"].startswith("1 / 0")  # opened (the click says so), pixel not loaded
    assert "US" in report and "mobile/iOS" in report
    csv = client.get(f"/campaigns/{campaign.pk}/report.csv").content.decode()
    assert "https://example.test/spring?x=1&y=2,nb,1" in csv
    xlsx = client.get(f"/campaigns/{campaign.pk}/report/?format=xlsx")
    assert xlsx.content[:2] == b"PK"
    compare = client.get(f"/campaigns/compare/?c={campaign.pk}").content.decode()
    assert "50.0 %" in compare

    later = Campaign.objects.create(
        name="Weekly tips",
        org_unit=people.tree.housing,
        status="scheduled",
        scheduled_at=timezone.now() + datetime.timedelta(days=1),
        recurrence="weekly",
    )
    calendar = client.get("/campaigns/calendar/?view=month").content.decode()
    assert "Weekly tips" in calendar and "Spring" in calendar
    assert later.pk and Run.objects.filter(campaign=campaign).count() == 1
