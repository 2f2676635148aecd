"""The journey story as a new marketer lives it, from the demo data: the activation
program checked and activated, a service offered to a customer through the API and the
offer at the local SMTP server, the dry run's plan for an activation two days later,
the activation posted for real and the thank-you at the server at once, and no reminder
ever, however much time passes."""

from __future__ import annotations

import datetime
import io
from typing import Any

import pytest
from django.core.management import call_command
from django.utils import timezone
from playwright.sync_api import Page, expect

from luukku.core.actions.tokens import create_api_token
from luukku.core.models import User
from luukku.customers.actions.contacts import ContactChanges
from luukku.customers.actions.parties import create_party
from luukku.customers.models import Person
from luukku.journeys.scheduler import advance_all_due
from tests.browser.conftest import log_in_as_demo
from tests.test_jobs import run_due_jobs
from tests.test_staff_email_smtp import smtp_server  # noqa: F401 (a fixture)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_activate_offer_dry_run_activation_thanks_at_once_and_no_reminder(
    page: Page,
    asgi_server: str,
    smtp_server: Any,  # noqa: F811
    settings: Any,
) -> None:
    inbox, port = smtp_server
    settings.LUUKKU_BULK_SMTP_URLS = [f"smtp://127.0.0.1:{port}"]
    settings.LUUKKU_BASE_URL = asgi_server
    call_command("demo", "--persons", "5", stdout=io.StringIO())
    User.objects.update(language="en")
    kari = create_party(
        Person,
        values={"first_name": "Kari", "last_name": "Story", "preferred_language": "en"},
        contacts=ContactChanges(emails=[{"address": "kari@example.test"}]),
        by=None,
    ).party
    _token, secret = create_api_token(user=User.objects.get(username="admin"), name="bank", by=None)
    base = asgi_server

    # The marketer finds the program, sees it can be activated, and activates it.
    log_in_as_demo(page, base, "marketer")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Journeys").click()
    page.get_by_role("link", name="Activate the Nordby app").click()
    expect(page.locator("#draft")).to_contain_text("Version 1 is a draft")
    expect(page.locator(".journey-diagram [data-step]")).to_have_count(7)
    page.get_by_role("button", name="Activate").click()
    expect(page.locator("#journey-status")).to_have_text("Active")

    # The bank's system offers Kari the app.
    def post_event(type: str) -> None:
        answer = page.request.post(
            f"{base}/api/v1/events",
            data={
                "person": {"id": kari.pk},
                "type": type,
                "occurred_at": timezone.now().isoformat(),
                "source": "bank",
                "payload": {"service_id": "APP-1"},
            },
            headers={"Authorization": f"Bearer {secret}"},
        )
        assert answer.status == 201, answer.text()

    post_event("service.offered")
    run_due_jobs()  # heard, the offer queued, then sent
    assert [m["Subject"] for _to, m in inbox.messages] == ["The Nordby app is ready for you"]
    page.reload()
    expect(page.locator("#step-figures [data-step='wait'] [data-count='waiting']")).to_have_text(
        "1"
    )

    # The dry run: what if Kari activates it two days from now?
    page.get_by_role("link", name="Dry run").click()
    form = page.locator("#dry-run-form")
    form.get_by_label("Customer number").fill(str(kari.pk))
    form.get_by_label("The entry event's facts").fill("service_id = APP-1")
    form.get_by_label("Events").fill("2 service.activated service_id = APP-1")
    form.get_by_role("button", name="Show the plan").click()
    plan = page.locator("#plan")
    expect(plan).to_contain_text("Goal reached")
    expect(plan.locator("[data-step='thanks']")).to_contain_text("Would send Thank you")
    expect(plan.locator("[data-step='reminder']")).to_have_count(0)

    # For real, a little later: the thank-you at once.
    post_event("service.activated")
    run_due_jobs()
    subjects = [m["Subject"] for _to, m in inbox.messages]
    assert subjects == ["The Nordby app is ready for you", "Thank you for activating the app"]

    # Weeks pass: no reminder, ever.
    for days in (21, 28, 60):
        advance_all_due(now=timezone.now() + datetime.timedelta(days=days))
    run_due_jobs()
    assert len(inbox.messages) == 2
    page.goto(f"{base}/customers/persons/{kari.pk}/")
    expect(page.locator("#journeys-panel")).to_contain_text("Reached the goal")


def test_the_editor_shows_the_fields_of_the_chosen_way_in(page: Page, asgi_server: str) -> None:
    call_command("demo", "--persons", "5", stdout=io.StringIO())
    User.objects.update(language="en")
    log_in_as_demo(page, asgi_server, "marketer")
    page.goto(f"{asgi_server}/journeys/")
    page.get_by_role("link", name="Activate the Nordby app").click()
    page.get_by_role("link", name="Edit").click()
    form = page.locator("#settings-form")
    expect(form.get_by_label("Event type")).to_have_value("service.offered")
    expect(form.get_by_label("Date field")).to_be_hidden()
    form.get_by_label("Persons enter when").select_option("date")
    expect(form.get_by_label("Date field")).to_be_visible()
    expect(form.get_by_label("Event type")).to_be_hidden()
    # A step opened from the diagram.
    page.locator(".journey-diagram [data-step='wait'] a").click()
    expect(page.get_by_label("Event type")).to_have_value("service.activated")
    expect(page.get_by_label("If it does not arrive in time")).to_have_value("reminder")
