"""The campaign story as a new marketer lives it, from the demo data: a segment built,
an MJML email with merge fields written and previewed for two customers, scheduled,
its progress watched live, the mails at the local SMTP sink with their headers, a
click in one and an unsubscribe in the other, and both on the campaign's report and
on those customers' timelines."""

from __future__ import annotations

import datetime
import io
import re
from typing import Any

import pytest
from django.core.management import call_command
from django.utils import timezone
from playwright.sync_api import Browser, Page, expect

from luukku.campaigns.models import Campaign
from luukku.campaigns.tasks import keep_sends_going
from luukku.consent.models import Purpose, Source
from luukku.consent.services import Evidence, record
from luukku.core.models import User
from luukku.customers.actions.contacts import ContactChanges
from luukku.customers.actions.parties import create_party
from luukku.customers.models import Person
from tests.browser.conftest import log_in_as_demo
from tests.test_jobs import run_due_jobs
from tests.test_staff_email_smtp import smtp_server  # noqa: F401 (a fixture)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

BODY = """<mjml><mj-body><mj-section><mj-column>
<mj-text>Hi {{ person.first_name }} in {{ person.city | default: "town" }}!</mj-text>
<mj-button href="{base}/p/f/fitness/">See the offer</mj-button>
</mj-column></mj-section></mj-body></mjml>"""


def _customer(first: str, city: str, purpose: Purpose) -> Person:
    person = create_party(
        Person,
        values={"first_name": first, "last_name": "Story", "preferred_language": "en"},
        contacts=ContactChanges(
            emails=[{"address": f"{first.lower()}@example.test"}],
            addresses=[{"street": "Gata 1", "postal_code": "7030", "city": city}],
        ),
        by=None,
    ).party
    record(person, purpose, "granted", Evidence(source=Source.FORM), channels=["email"])
    return person  # type: ignore[return-value]


def test_segment_email_preview_schedule_send_click_unsubscribe_report(
    page: Page,
    browser: Browser,
    asgi_server: str,
    smtp_server: Any,  # noqa: F811
    settings: Any,
) -> None:
    inbox, port = smtp_server
    settings.LUUKKU_BULK_SMTP_URLS = [f"smtp://127.0.0.1:{port}"]
    settings.LUUKKU_BASE_URL = asgi_server
    call_command("demo", "--persons", "5", stdout=io.StringIO())
    User.objects.update(language="en")
    news = Purpose.objects.get(slug="fitness-news")
    kari = _customer("Kari", "Trondheim", news)
    ola = _customer("Ola", "Bergen", news)
    base = asgi_server

    # A segment: everyone who may get the fitness newsletter by email.
    log_in_as_demo(page, base, "marketer")
    nav = page.get_by_role("navigation", name="Main")
    nav.get_by_role("link", name="Segments").click()
    page.get_by_role("link", name="New segment").click()
    form = page.locator("#segment-form")
    form.get_by_label("Name", exact=True).fill("Gym mail")
    form.get_by_label("Short name").fill("gym-mail")
    form.get_by_label("Owning org unit").select_option(index=1)
    form.get_by_label("Kind of condition").select_option("consent")
    expect(form.get_by_label("Purpose")).to_be_visible()
    form.get_by_label("Purpose").select_option("fitness-news")
    form.get_by_label("State").select_option("contactable")
    form.get_by_role("button", name="Save").click()
    run_due_jobs()  # the members are worked out in the background
    page.reload()
    expect(page.locator("#member-count")).not_to_have_text("0")

    # The campaign, its email written and previewed for two customers.
    nav.get_by_role("link", name="Campaigns").click()
    page.get_by_role("link", name="New campaign").click()
    form = page.locator("#campaign-form")
    form.get_by_label("Name", exact=True).fill("Gym offer")
    form.get_by_label("Owning org unit").select_option(index=1)
    form.get_by_label("Purpose").select_option(label=news.name)
    form.get_by_label("Audience", exact=True).select_option(label="Gym mail")
    form.get_by_label("Default language").select_option("en")
    form.get_by_role("button", name="Save").click()
    expect(page.locator("#preflight-problems")).to_contain_text("Write the email content")
    page.locator("#contents").get_by_role("link").nth(0).click()  # English comes first
    editor = page.locator("#content-form")
    editor.get_by_label("Subject").fill("{{ person.first_name }}, an offer for you")
    editor.get_by_label("Body", exact=True).fill(BODY.replace("{base}", base))
    editor.get_by_label("Preview for customer number").fill(str(kari.pk))
    editor.get_by_label("Preview for customer number").press("Tab")
    preview = page.locator("#preview")
    expect(preview.locator("#preview-subject")).to_have_text("Kari, an offer for you")
    expect(
        preview.frame_locator("#preview-html").get_by_text("Hi Kari in Trondheim!")
    ).to_be_visible()
    editor.get_by_label("Preview for customer number").fill(str(ola.pk))
    editor.get_by_label("Preview for customer number").press("Tab")
    expect(preview.locator("#preview-subject")).to_have_text("Ola, an offer for you")
    expect(preview.frame_locator("#preview-html").get_by_text("Hi Ola in Bergen!")).to_be_visible()
    editor.get_by_role("button", name="Save").click()

    # The pre-flight report, then scheduled for a minute from now.
    expect(page.locator("#preflight [data-count='will_get']")).not_to_have_text("0")
    now_there = page.locator("#send-at").get_attribute("min")  # in the marketer's time zone
    assert now_there is not None
    soon = datetime.datetime.fromisoformat(now_there) + datetime.timedelta(minutes=2)
    page.locator("#send-at").fill(soon.strftime("%Y-%m-%dT%H:%M"))
    page.get_by_role("button", name="Send", exact=True).click()
    expect(page.locator("#campaign-status")).to_have_text("Scheduled")

    # Its time comes: the scheduler starts it; the page follows the progress by itself.
    Campaign.objects.filter(name="Gym offer").update(scheduled_at=timezone.now())
    keep_sends_going.call()
    page.reload()
    expect(page.locator("#progress")).to_have_attribute("hx-trigger", "every 2s")
    run_due_jobs()
    expect(page.locator("#delivery-counts [data-status='queued']")).to_have_text("0")
    expect(page.locator("#campaign-status")).to_have_text("Sending")  # until reloaded
    page.reload()
    expect(page.locator("#campaign-status")).to_have_text("Finished")

    mails = {rcpt[0]: message for rcpt, message in inbox.messages}
    kari_mail, ola_mail = mails["kari@example.test"], mails["ola@example.test"]
    assert kari_mail["Subject"] == "Kari, an offer for you"
    assert kari_mail["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert kari_mail["List-Unsubscribe"].startswith(f"<{base}/t/u/")
    assert kari_mail["Feedback-ID"] and kari_mail["Message-ID"]
    html = kari_mail.get_body(("html",)).get_content()
    click = re.search(rf'href="({re.escape(base)}/t/c/[^"]+)"', html)
    assert click is not None

    # Kari clicks the offer; Ola unsubscribes.
    reader = browser.new_context(locale="en-GB").new_page()
    reader.goto(click.group(1))  # through the tracking redirect to the fitness sign-up page
    assert reader.url == f"{base}/p/f/fitness/"
    reader.goto(ola_mail["List-Unsubscribe"].strip("<>"))
    reader.get_by_role("button", name="Unsubscribe").click()
    expect(reader.get_by_role("button", name="Unsubscribe")).to_have_count(0)

    # On the report, and on their timelines.
    page.get_by_role("link", name="Report").click()
    expect(page.locator("[data-kpi='clicked']")).to_contain_text("1 / 1")
    expect(page.locator("[data-kpi='unsubscribed']")).to_contain_text("1")
    expect(page.locator("#links")).to_contain_text(f"{base}/p/f/fitness/")
    page.goto(f"{base}/customers/persons/{kari.pk}/")
    timeline = page.locator("#timeline")
    expect(timeline).to_contain_text("clicked")
    expect(timeline).to_contain_text("sent")
    page.goto(f"{base}/customers/persons/{ola.pk}/")
    expect(page.locator("#timeline")).to_contain_text("unsubscribed")
