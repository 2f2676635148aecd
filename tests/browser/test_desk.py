"""An agent watches the queue, a customer's mail appears in it without a reload, and the
agent answers it from the case page."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command
from playwright.sync_api import Page, expect

from luukku.channels.email.receive import accept
from luukku.channels.models import Mailbox
from luukku.core.models import User

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

MAIL = (
    "From: Sofie Lund <sofie.lund@example.se>\r\n"
    "To: housing@demo.luukku.test\r\n"
    "Subject: Diskmaskinen luktar\r\n"
    "Message-ID: <browser-1@example.se>\r\n"
    "Content-Type: text/plain; charset=utf-8\r\n\r\n"
    "Diskmaskinen i lägenhet 7 luktar bränt.\r\n"
).encode()


def test_a_mail_appears_live_in_the_queue_and_is_answered(page: Page, asgi_server: str) -> None:
    call_command("demo", "--persons", "20", stdout=io.StringIO())
    User.objects.filter(username="agent").update(language="en")
    base = asgi_server

    page.goto(f"{base}/login/")
    page.get_by_label("Username").fill("agent")
    page.get_by_label("Password").fill("luukku-demo")
    page.get_by_role("button", name="Log in").click()
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Cases").click()
    page.get_by_role("link", name="Housing", exact=True).click()
    expect(page.get_by_role("heading", name="Housing")).to_be_visible()
    expect(page.locator("#case-rows[data-live-state=open]")).to_have_count(1)  # the socket

    accept(Mailbox.objects.get(address="housing@demo.luukku.test"), MAIL)

    # The list refreshes itself when told over the WebSocket: the new case shows up
    # without reloading the page, long before the 30-second fallback poll.
    new_case = page.get_by_role("link", name="Diskmaskinen luktar")
    expect(new_case).to_be_visible(timeout=8_000)
    new_case.click()
    expect(page.get_by_text("Diskmaskinen i lägenhet 7 luktar bränt.")).to_be_visible()
    expect(page.get_by_text("You are working on this case.")).to_be_visible()

    page.get_by_label("Your answer").fill("Vi skickar en tekniker i morgon.")
    page.get_by_role("button", name="Send reply").click()

    expect(page.get_by_text("Reply sent.")).to_be_visible()
    expect(page.get_by_text("Vi skickar en tekniker i morgon.")).to_be_visible()


def test_an_administrator_sets_an_sla_and_the_agent_sees_the_deadline(
    page: Page, asgi_server: str
) -> None:
    call_command("demo", "--persons", "20", stdout=io.StringIO())
    User.objects.filter(username__in=["admin", "agent"]).update(language="en")
    base = asgi_server

    page.goto(f"{base}/login/")
    page.get_by_label("Username").fill("admin")
    page.get_by_label("Password").fill("luukku-demo")
    page.get_by_role("button", name="Log in").click()
    page.goto(f"{base}/desk/setup/")
    page.get_by_role("link", name="New SLA policy").click()
    page.get_by_label("Name").fill("Dishwashers")
    page.get_by_label("Org unit").select_option(label="Housing")
    page.get_by_label("Order").fill("1")
    page.get_by_label("First response within (business minutes)").fill("240")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("Open cases' deadlines are being worked out again.")).to_be_visible()
    expect(page.locator("#sla-policies")).to_contain_text("Dishwashers")
    page.get_by_role("button", name="Log out").click()

    accept(Mailbox.objects.get(address="housing@demo.luukku.test"), MAIL)
    page.get_by_label("Username").fill("agent")
    page.get_by_label("Password").fill("luukku-demo")
    page.get_by_role("button", name="Log in").click()
    page.goto(f"{base}/desk/queues/housing/?sort=due")
    page.get_by_role("link", name="Diskmaskinen luktar").click()
    clocks = page.locator("#sla-clocks")
    expect(clocks).to_contain_text("First response")
    expect(clocks).to_contain_text("left")


def test_a_case_handed_to_the_agent_rings_the_bell_without_a_reload(
    page: Page, asgi_server: str
) -> None:
    from luukku.core.notifications import mark_read
    from luukku.desk import services
    from luukku.desk.models import Case

    call_command("demo", "--persons", "20", stdout=io.StringIO())
    agent = User.objects.get(username="agent")
    User.objects.filter(pk=agent.pk).update(language="en")
    mark_read(agent)
    page.goto(f"{asgi_server}/login/")
    page.get_by_label("Username").fill("agent")
    page.get_by_label("Password").fill("luukku-demo")
    page.get_by_role("button", name="Log in").click()
    bell = page.locator("#notifications-link")
    expect(page.locator("#notifications-link[data-live-state=open]")).to_have_count(1)
    expect(bell.locator(".badge")).to_have_count(0)

    case = Case.objects.filter(queue__slug="housing", assignee=None).first()
    assert case is not None
    supervisor = User.objects.get(username="supervisor")
    services.assign_case(case, to=agent, by=supervisor, version=None)

    # Told over the WebSocket: long before the two-minute fallback poll.
    expect(bell.get_by_label("1 unread")).to_be_visible(timeout=8_000)
    bell.click()
    expect(page.get_by_text(case.subject).first).to_be_visible()
