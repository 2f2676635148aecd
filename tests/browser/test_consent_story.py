"""The consent and segment story as a marketer and a customer live it: a purpose, a
landing page, a sign-up, the double opt-in mail at the local SMTP sink, the person in a
dynamic segment, one click on "unsubscribe from everything", and out again; all of it on
the person's timeline and in the consent ledger."""

from __future__ import annotations

import io
import re
from typing import Any

import pytest
from django.core.management import call_command
from playwright.sync_api import Browser, Page, expect

from luukku.core.models import User
from luukku.customers.models import Person
from tests.browser.conftest import log_in_as_demo
from tests.test_jobs import run_due_jobs
from tests.test_staff_email_smtp import smtp_server, use_smtp  # noqa: F401 (a fixture)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_sign_up_confirm_enter_a_segment_unsubscribe_and_leave_it(
    page: Page,
    browser: Browser,
    asgi_server: str,
    smtp_server: Any,  # noqa: F811
    settings: Any,
) -> None:
    inbox, port = smtp_server
    use_smtp(settings, f"smtp://127.0.0.1:{port}")
    settings.LUUKKU_BASE_URL = asgi_server
    call_command("demo", "--persons", "5", stdout=io.StringIO())
    User.objects.update(language="en")
    base = asgi_server

    # The marketer: a purpose with its text.
    log_in_as_demo(page, base, "marketer")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Marketing").click()
    page.get_by_role("link", name="New purpose").click()
    form = page.locator("#purpose-form")
    form.get_by_label("Name", exact=True).fill("Gym newsletter")
    form.get_by_label("Short name").fill("gym-news")
    form.get_by_label("Owning org unit").select_option(index=1)
    form.get_by_label("Lawful basis").select_option("consent")
    form.get_by_label("Email").check()
    form.get_by_role("button", name="Save").click()
    texts = page.locator("#text-form")
    texts.get_by_label("Language").select_option("en")
    texts.get_by_label("Title").fill("News from the gym")
    texts.get_by_label("Text").fill("Class timetables and offers, once a month.")
    texts.get_by_role("button", name="Publish").click()
    expect(page.locator("#purpose-texts")).to_contain_text("News from the gym")

    # A landing page with the consent box, published.
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Marketing").click()
    page.get_by_role("link", name="Landing pages").click()
    page.get_by_role("link", name="New landing page").click()
    settings_form = page.locator("#page-settings")
    settings_form.get_by_label("Title").fill("Join the gym list")
    settings_form.get_by_label("Address").fill("gym")
    settings_form.get_by_label("Owning org unit").select_option(index=1)
    settings_form.get_by_label("Language").select_option("en")
    settings_form.get_by_role("button", name="Save").click()
    add = page.locator("#add-block")
    add.get_by_label("Kind").select_option("consent")
    add.get_by_label("Purpose").select_option("gym-news")
    add.get_by_label("Required").check()
    add.get_by_role("button", name="Add the block").click()
    page.get_by_role("button", name="Publish").click()
    expect(page.get_by_text("Published.")).to_be_visible()

    # A dynamic segment: everyone who has granted the newsletter by email.
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Segments").click()
    page.get_by_role("link", name="New segment").click()
    segment_form = page.locator("#segment-form")
    segment_form.get_by_label("Name", exact=True).fill("Gym newsletter readers")
    segment_form.get_by_label("Short name").fill("gym-readers")
    segment_form.get_by_label("Owning org unit").select_option(index=1)
    segment_form.get_by_label("Kind of condition").select_option("consent")
    expect(segment_form.get_by_label("Purpose")).to_be_visible()  # the builder came back
    segment_form.get_by_label("Purpose").select_option("gym-news")
    segment_form.get_by_label("State").select_option("granted")
    expect(page.locator("#live-count")).to_contain_text("0 persons now")
    segment_form.get_by_role("button", name="Save").click()
    expect(page.locator("#member-count")).to_have_text("0")

    # A customer signs up on the public page.
    visitor = browser.new_context(locale="en-GB").new_page()
    visitor.goto(f"{base}/p/f/gym/")
    visitor.get_by_label("First name").fill("Sofie")
    visitor.get_by_label("Email").fill("sofie@example.test")
    visitor.get_by_label("News from the gym").check()
    visitor.get_by_role("button", name="Send").click()
    expect(visitor.get_by_text("We have sent you an email")).to_be_visible()

    run_due_jobs()  # the confirmation mail goes at once
    [(_to, mail)] = [m for m in inbox.messages if m[0] == ["sofie@example.test"]]
    link = re.search(r"http://\S+/p/confirm/\S+/", mail.get_content())
    assert link is not None
    visitor.goto(link.group(0))
    visitor.get_by_role("button", name="Confirm").click()
    expect(visitor.get_by_text("Thank you, it is confirmed")).to_be_visible()

    run_due_jobs()  # the segment hears of the consent
    page.reload()
    expect(page.locator("#member-count")).to_have_text("1")
    expect(page.locator("#members")).to_contain_text("Sofie")

    # One click on the preference page, and she is out.
    visitor.get_by_role("link", name="See or change what you get from us").click()
    visitor.get_by_role("button", name="Unsubscribe from everything").click()
    expect(visitor.get_by_text("Your choices are saved.")).to_be_visible()
    run_due_jobs()
    page.reload()
    expect(page.locator("#member-count")).to_have_text("0")

    # All of it on her timeline and in the ledger.
    sofie = Person.objects.get(emailaddresss__address_lower="sofie@example.test")
    page.goto(f"{base}/customers/persons/{sofie.pk}/")
    timeline = page.locator("#h-timeline").locator("xpath=..")
    for text in ("requested", "granted", "entered", "withdrawn", "exited"):
        expect(timeline).to_contain_text(text)
    page.get_by_role("link", name="Consent ledger").click()
    ledger = page.locator("#ledger")
    for source in ("landing page", "confirmation link", "preference center"):
        expect(ledger).to_contain_text(source)
