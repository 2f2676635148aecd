"""A new user imports a CSV of their own persons and finds one of them by phone."""

from __future__ import annotations

import io
import threading
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import connections
from playwright.sync_api import Page, expect

from luukku.core.models import User
from tests.test_jobs import run_due_jobs

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CSV = (
    "Kundenummer;Fornavn;Etternavn;E-post;Mobil\n"
    "K-100;Astrid;Lindgren;astrid@example.test;+47 412 00 100\n"
    "K-101;Mikko;Rimminen;mikko@example.test;+358 40 700 1010\n"
    "K-102;Nora;Bakken;nora@example.test;932 45 678\n"
)


class BackgroundWorker:
    """Runs due jobs every half second while the browser waits, as `luukku worker` would."""

    def __init__(self) -> None:
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self.loop, daemon=True)

    def loop(self) -> None:
        try:
            while not self.stop.wait(0.5):
                run_due_jobs("browser-worker")
        finally:
            connections.close_all()

    def __enter__(self) -> BackgroundWorker:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        self.thread.join(timeout=10)


def test_import_a_csv_then_find_a_person_by_phone(
    page: Page, live_server, tmp_path: Path, settings
) -> None:  # type: ignore[no-untyped-def]
    settings.MEDIA_ROOT = tmp_path / "media"
    call_command("demo", "--persons", "20", stdout=io.StringIO())
    User.objects.filter(username="admin").update(language="en")
    csv_file = tmp_path / "my-members.csv"
    csv_file.write_text(CSV)
    base = live_server.url

    page.goto(f"{base}/login/")
    page.get_by_label("Username").fill("admin")
    page.get_by_label("Password").fill("luukku-demo")
    page.get_by_role("button", name="Log in").click()
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Customers").click()
    page.get_by_role("link", name="Import").click()

    page.get_by_label("CSV or XLSX file").set_input_files(str(csv_file))
    page.get_by_label("Source system").select_option(label="Fitness bookings")
    page.get_by_role("button", name="Upload").click()

    # The columns were recognised from their Norwegian headers.
    expect(page.get_by_label("Mobil")).to_have_value("phone")
    expect(page.get_by_label("Kundenummer")).to_have_value("external_id")
    with BackgroundWorker():
        page.get_by_role("button", name="Check the file").click()
        expect(page.get_by_text("3 rows checked, 0 problems.")).to_be_visible(timeout=20_000)
        page.get_by_role("button", name="Import", exact=True).click()
        expect(page.get_by_text("Done: 3 created, 0 updated, 0 unchanged.")).to_be_visible(
            timeout=20_000
        )

    page.get_by_role("searchbox", name="Search customers").fill("932 45 678")
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Nora Bakken")).to_be_visible()
    expect(page.get_by_text("+4793245678")).to_be_visible()
