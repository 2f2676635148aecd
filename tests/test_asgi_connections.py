"""The web server `luukku serve` runs keeps no database connection per request: under
ASGI each request runs in a thread of its own, so a kept one would never be reused and
PostgreSQL would soon refuse new ones."""

from __future__ import annotations

import threading
import time
import urllib.error
import urllib.request

import pytest
from django.db import connection

from tests.test_staff_email_smtp import free_port


def _connections() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()")
        return int(cursor.fetchone()[0])


@pytest.mark.django_db(transaction=True)
def test_requests_to_the_asgi_application_leave_no_connections_open(settings) -> None:  # type: ignore[no-untyped-def]
    if connection.vendor != "postgresql":
        pytest.skip("connections are counted on PostgreSQL")
    import uvicorn

    from luukku.routing import protocols

    settings.ALLOWED_HOSTS = ["127.0.0.1"]
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(
            protocols(),
            host="127.0.0.1",
            port=port,
            lifespan="off",
            log_level="warning",
        )
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.05)
    try:
        before = _connections()
        for _ in range(30):  # the health check reads the database (503: no worker runs)
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=10)
            except urllib.error.HTTPError as answer:
                assert answer.code == 503
        time.sleep(0.5)
        assert _connections() - before < 5
    finally:
        server.should_exit = True
        thread.join(timeout=10)
