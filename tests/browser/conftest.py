from __future__ import annotations

import os
import shutil
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, sync_playwright

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def chromium_path() -> str:
    path = os.environ.get("LUUKKU_CHROMIUM") or shutil.which("chromium")
    if not path:
        pytest.fail("Chromium is not installed: run `make browser` (apt-get install chromium).")
    return path


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=chromium_path(), headless=True, args=CHROMIUM_ARGS
        )
        yield browser
        browser.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(locale="en-GB")
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    context.close()


@pytest.fixture
def asgi_server(transactional_db: None, settings: Any) -> Iterator[str]:
    """The ASGI application `luukku serve` runs (HTTP and WebSockets), served by uvicorn
    on a free loopback port against the test database; its base URL."""
    import uvicorn
    from django.db import connections

    from luukku.routing import protocols
    from tests.test_staff_email_smtp import free_port

    settings.ALLOWED_HOSTS = ["127.0.0.1"]
    # The server's threads close their connections after each use, so none is left
    # open on the test database when it is dropped.
    database = connections.settings["default"]
    kept_for, database["CONN_MAX_AGE"] = database["CONN_MAX_AGE"], 0
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(
            protocols(), host="127.0.0.1", port=port, lifespan="off", log_level="warning"
        )
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    assert server.started, "uvicorn did not start"
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)
    database["CONN_MAX_AGE"] = kept_for


DEMO_PASSWORD = "luukku-demo"  # the demo users' documented password


def log_in_as_demo(page: Page, base: str, username: str) -> None:
    """Sign in on the login page as one of `luukku demo`'s users."""
    page.goto(f"{base}/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Log in").click()
