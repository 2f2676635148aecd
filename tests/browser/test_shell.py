"""A new user's first minutes, in a real browser: log in, walk the shell, go Finnish."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command
from django.utils import translation
from playwright.sync_api import Page, expect

from luukku.core.models import User
from luukku.customers.models import Person

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def demo(db: None) -> None:
    call_command("demo", "--password", "luukku-demo", "--persons", "100", stdout=io.StringIO())


def in_finnish(*texts: str) -> dict[str, str]:
    with translation.override("fi"):
        found = {text: translation.gettext(text) for text in texts}
    untranslated = [text for text, fi in found.items() if fi == text]
    assert not untranslated, f"no Finnish for {untranslated}"
    return found


def log_in(page: Page, base: str, username: str) -> None:
    page.goto(f"{base}/")
    expect(page).to_have_url(f"{base}/login/?next=/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill("luukku-demo")
    page.get_by_role("button", name="Log in").click()


def test_log_in_walk_the_shell_and_switch_to_finnish(page: Page, live_server, demo) -> None:
    base = live_server.url
    User.objects.filter(username="admin").update(language="en")

    log_in(page, base, "admin")
    expect(page.get_by_role("heading", name="Welcome, Ingrid")).to_be_visible()

    nav = page.get_by_role("navigation", name="Main")
    nav.get_by_role("link", name="Organization").click()
    expect(page.get_by_role("heading", name="Organization")).to_be_visible()
    expect(page.get_by_role("cell", name="Kindergartens", exact=True)).to_be_visible()

    nav.get_by_role("link", name="People").click()
    expect(page.get_by_role("link", name="Kari Nordmann")).to_be_visible()
    page.get_by_label("Search", exact=True).fill("aino")
    page.get_by_role("button", name="Filter").click()
    expect(page.get_by_role("link", name="Aino Virtanen")).to_be_visible()
    expect(page.get_by_role("link", name="Kari Nordmann")).to_have_count(0)

    nav.get_by_role("link", name="Teams").click()
    expect(page.get_by_role("cell", name="Housing first line")).to_be_visible()

    # Find a customer by phone, typed the way people say it, from the header.
    customer = Person.objects.filter(phonenumbers__isnull=False).order_by("pk").first()
    assert customer is not None
    local = customer.phonenumbers.first().number.removeprefix("+47")  # type: ignore[attr-defined]
    page.get_by_role("searchbox", name="Search customers").fill(
        f"{local[:3]} {local[3:5]} {local[5:]}"
    )
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name=customer.full_name)).to_be_visible()
    expect(page.get_by_role("heading", name="Timeline")).to_be_visible()
    expect(page.locator("ol.timeline li.event").first).to_be_visible()

    # Presence changes in place (htmx) and sticks.
    page.locator("#presence-select").select_option("busy")
    expect(page.locator("#presence-toggle .presence-dot.busy")).to_be_visible()
    assert User.objects.get(username="admin").presence == "busy"

    page.get_by_role("link", name="Ingrid Berg").click()
    page.get_by_label("Language", exact=True).select_option("fi")
    page.get_by_role("button", name="Save").first.click()

    finnish = in_finnish("Main", "Organization", "Log out", "Log in to Luukku")
    expect(page.locator("html")).to_have_attribute("lang", "fi")
    page.get_by_role("navigation", name=finnish["Main"]).get_by_role(
        "link", name=finnish["Organization"]
    ).click()
    expect(page.get_by_role("heading", name=finnish["Organization"])).to_be_visible()
    expect(page.get_by_role("cell", name="Health", exact=True)).to_be_visible()
    page.screenshot(path="var/screenshot-org-fi.png", full_page=True)

    page.get_by_role("button", name=finnish["Log out"]).click()
    expect(page.get_by_role("heading", name=finnish["Log in to Luukku"])).to_be_visible()


def test_the_shell_fits_a_phone_and_works_by_keyboard(browser, live_server, demo) -> None:
    context = browser.new_context(viewport={"width": 375, "height": 740}, locale="en-GB")
    page = context.new_page()
    base = live_server.url
    User.objects.filter(username="agent").update(language="en")

    log_in(page, base, "agent")
    expect(page.get_by_role("heading", name="Welcome, Kari")).to_be_visible()
    page.goto(f"{base}/people/")
    page.keyboard.press("Tab")
    expect(page.locator(".skip-link")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.locator("main")).to_be_focused()

    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"the page is {overflow}px wider than a phone"
    page.screenshot(path="var/screenshot-people-phone.png", full_page=True)
    context.close()


def test_wrong_password_says_so(page: Page, live_server, demo) -> None:
    page.goto(f"{live_server.url}/login/")
    page.get_by_label("Username").fill("agent")
    page.get_by_label("Password").fill("wrong")
    page.get_by_role("button", name="Log in").click()

    expect(page.get_by_role("alert")).to_have_text("The username or password is wrong.")
