"""The service-level story as a new administrator, supervisor and agents live it:
Finnish office hours and a four-hour first response; a mail on the Friday afternoon
before a holiday Monday is due on Tuesday; a shortened SLA runs into its warning and the
supervisor hears of it by email and SMS at the local sinks; round robin spreads ten new
cases over three present agents and none to the fourth, who is away."""

from __future__ import annotations

import datetime as dt
import io
import zoneinfo
from collections import Counter
from typing import Any

import pytest
from django.core.management import call_command
from django.utils import timezone
from playwright.sync_api import Page, expect

from luukku.channels.email.receive import accept
from luukku.channels.models import Mailbox
from luukku.core.models import OrgUnit, Presence, Role, User
from luukku.desk.models import Case
from luukku.desk.tasks import check_sla_clocks
from tests.browser.conftest import log_in_as_demo
from tests.desk.conftest import Clock
from tests.factories import user_with
from tests.sms_provider import FakeProvider, sms_provider  # noqa: F401 (a fixture)
from tests.test_jobs import run_due_jobs
from tests.test_staff_email_smtp import smtp_server, use_smtp  # noqa: F401 (a fixture)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
HELSINKI = zoneinfo.ZoneInfo("Europe/Helsinki")


def _mail(number: int, subject: str) -> bytes:
    return (
        f"From: Aino Virtanen <aino{number}@example.fi>\r\n"
        "To: housing@demo.luukku.test\r\n"
        f"Subject: {subject}\r\n"
        f"Message-ID: <story-{number}@example.fi>\r\n"
        "Content-Type: text/plain; charset=utf-8\r\n\r\n"
        "Hei, pesukone ei toimi.\r\n"
    ).encode()


def _log_out(page: Page) -> None:
    page.get_by_role("button", name="Log out").click()


def test_the_sla_and_assignment_story(
    page: Page,
    asgi_server: str,
    smtp_server: Any,  # noqa: F811
    sms_provider: FakeProvider,  # noqa: F811
    settings: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    inbox, port = smtp_server
    use_smtp(settings, f"smtp://127.0.0.1:{port}")
    call_command("demo", "--persons", "20", stdout=io.StringIO())
    User.objects.update(language="en")
    housing = OrgUnit.objects.get(slug="housing")
    base = asgi_server

    # The administrator: Finnish office hours and holidays, a four-hour first response
    # whose warning tells the supervisors by email and SMS.
    log_in_as_demo(page, base, "admin")
    page.goto(f"{base}/org/{housing.pk}/calendar/")
    settings_form = page.locator("form").filter(has=page.get_by_label("Public holidays of"))
    settings_form.get_by_label("Name").fill("Housing office, Helsinki")
    settings_form.get_by_label("Time zone").select_option("Europe/Helsinki")
    settings_form.get_by_label("Public holidays of").select_option(label="Finland")
    for day in ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday"):
        settings_form.get_by_label(day, exact=True).fill("08:00-16:00")
    for day in ("Saturday", "Sunday"):
        settings_form.get_by_label(day, exact=True).fill("")
    settings_form.get_by_role("button", name="Save").click()
    expect(page.get_by_text("Saved.")).to_be_visible()

    page.goto(f"{base}/desk/setup/")
    page.get_by_role("link", name="New SLA policy").click()
    page.get_by_label("Name").fill("Housing, four hours")
    page.get_by_label("Org unit").select_option(label="Housing")
    page.get_by_label("Order").fill("1")
    page.get_by_label("First response within (business minutes)").fill("240")
    page.get_by_role("button", name="Save").click()
    page.get_by_role("link", name="Housing, four hours").click()
    steps = page.locator("form").filter(has_text="Add a step")
    steps.get_by_label("When").select_option(label="On warning")
    steps.get_by_label("tell the queue's supervisors").check()
    steps.get_by_label("by email").check()
    steps.get_by_label("by SMS").check()
    steps.get_by_role("button", name="Add step").click()
    expect(page.locator("#escalation-steps")).to_contain_text("SMS")
    _log_out(page)

    # The supervisor gives the mobile number SMS alerts go to.
    log_in_as_demo(page, base, "supervisor")
    page.goto(f"{base}/settings/")
    page.get_by_label("Mobile number").fill("+358 40 123 4567")
    page.locator("form").filter(has=page.get_by_label("Mobile number")).get_by_role(
        "button", name="Save"
    ).click()
    expect(page.get_by_label("Mobile number")).to_have_value("+358401234567")

    # Friday 3 January 2025, 14:00 in Helsinki; Monday is Epiphany. Two business hours
    # on Friday, none on the weekend or the holiday, two on Tuesday: due Tuesday 10:00.
    clock = Clock(dt.datetime(2025, 1, 3, 14, 0, tzinfo=HELSINKI))
    monkeypatch.setattr(timezone, "now", lambda: clock.now.astimezone(dt.UTC))
    run_due_jobs()  # the policy's recomputation of open cases
    accept(Mailbox.objects.get(address="housing@demo.luukku.test"), _mail(1, "Pesukone"))
    case = Case.objects.get(subject="Pesukone")
    page.goto(f"{base}/desk/cases/{case.number}/")
    due = page.locator("#sla-clocks time").first.get_attribute("datetime")
    assert due is not None
    assert dt.datetime.fromisoformat(due) == dt.datetime(2025, 1, 7, 10, 0, tzinfo=HELSINKI)
    _log_out(page)

    # A shortened SLA for the test: ten minutes, warned at eight.
    log_in_as_demo(page, base, "admin")
    page.goto(f"{base}/desk/setup/")
    page.get_by_role("link", name="Housing, four hours").click()
    page.get_by_label("First response within (business minutes)").fill("10")
    page.get_by_role("button", name="Save").click()
    run_due_jobs()  # the open cases' deadlines worked out again
    clock.move(minutes=9)
    assert check_sla_clocks.call() >= 1
    run_due_jobs()  # the email and the SMS go out
    _log_out(page)

    mails = [m for rcpts, m in inbox.messages if "supervisor@demo.luukku.test" in rcpts]
    assert mails and f"/desk/cases/{case.number}/" in mails[0].get_content()
    texts = [m for m in sms_provider.sent if m["To"] == "+358401234567"]
    assert texts and f"/desk/cases/{case.number}/" in texts[0]["Body"]
    log_in_as_demo(page, base, "supervisor")
    page.goto(f"{base}/desk/")
    expect(page.locator("body")).to_contain_text("Escalated to me")
    expect(page.get_by_role("link", name="Pesukone").first).to_be_visible()
    _log_out(page)

    # Round robin over three present agents; the fourth is away today.
    clock.set(dt.datetime.now(dt.UTC))
    agents = [
        user_with(Role.AGENT, housing, username=name, presence=Presence.AVAILABLE, language="en")
        for name in ("anna", "bo", "cai", "dag")
    ]
    User.objects.filter(username__in=["agent", "supervisor"]).update(presence=Presence.OFFLINE)
    log_in_as_demo(page, base, "admin")
    page.goto(f"{base}/people/{agents[3].pk}/")
    absence = page.locator("form").filter(has=page.get_by_label("First day"))
    absence.get_by_label("Kind").select_option(label="Sick leave")
    # Today where the agent works (in the hour before midnight UTC, Oslo is a day on).
    today = timezone.localdate(timezone=zoneinfo.ZoneInfo(housing.time_zone)).isoformat()
    absence.get_by_label("First day").fill(today)
    absence.get_by_label("Last day").fill(today)
    absence.get_by_role("button", name="Record absence").click()
    page.goto(f"{base}/desk/setup/")
    page.locator("main").get_by_role("link", name="Housing", exact=True).click()
    page.get_by_label("Assignment").select_option(label="Round robin")
    page.get_by_role("button", name="Save").click()
    _log_out(page)

    box = Mailbox.objects.get(address="housing@demo.luukku.test")
    for number in range(10):
        accept(box, _mail(100 + number, f"Vuoto {number}"))
    given = Counter(
        Case.objects.filter(subject__startswith="Vuoto ").values_list(
            "assignee__username", flat=True
        )
    )
    assert sorted(given.values()) == [3, 3, 4] and set(given) == {"anna", "bo", "cai"}

    # The supervisor's board shows it as it is.
    log_in_as_demo(page, base, "supervisor")
    page.goto(f"{base}/desk/board/")
    board = page.locator("#board-agent-table")
    for name in ("anna", "bo", "cai"):
        shown = str(User.objects.get(username=name))
        row = board.locator("tr").filter(has_text=shown)
        expect(row.locator("td").nth(3)).to_have_text(str(given[name]))
    away = board.locator("tr").filter(has_text=str(agents[3]))
    expect(away.locator("td").nth(2)).to_have_text("no")  # not on duty: absent today
    expect(away.locator("td").nth(3)).to_have_text("0")
