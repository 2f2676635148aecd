"""Live pages: an open queue page hears of changes to its queue, a bell of its owner's
notifications, over a WebSocket; others hear nothing."""

from __future__ import annotations

import asyncio
import json
import os
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import channels.layers
import pytest
from asgiref.testing import ApplicationCommunicator
from channels.routing import URLRouter

from luukku.core import consumers, notifications
from luukku.core.routing import websocket_urlpatterns as core_sockets
from luukku.desk import services
from luukku.desk.models import QueueChange
from luukku.desk.routing import websocket_urlpatterns
from luukku.desk.services import NewMessage
from tests.desk.conftest import Desk

pytestmark = pytest.mark.django_db(transaction=True)

REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


@pytest.fixture(autouse=True)
def connections_closed_after_use() -> Iterator[None]:
    """The consumers' database threads close their connections after each use, so none
    is left open on the test database when it is dropped."""
    from django.db import connections

    database = connections.settings["default"]
    kept_for, database["CONN_MAX_AGE"] = database["CONN_MAX_AGE"], 0
    yield
    database["CONN_MAX_AGE"] = kept_for


class Socket(ApplicationCommunicator):  # type: ignore[misc]
    """A WebSocket client speaking ASGI to the desk's consumers, as a browser would."""

    async def receive_json_from(self, timeout: float) -> Any:
        event = await self.receive_output(timeout)
        assert event["type"] == "websocket.send", event
        return json.loads(event["text"])

    async def disconnect(self) -> None:
        await self.send_input({"type": "websocket.disconnect", "code": 1000})
        await self.wait(timeout=2)


async def _connect(user: Any, slug: str) -> tuple[Socket, bool]:
    return await _open(user, f"/ws/desk/queues/{slug}/")


async def _open(user: Any, path: str) -> tuple[Socket, bool]:
    scope = {"type": "websocket", "path": path, "headers": [], "subprotocols": [], "user": user}
    socket = Socket(URLRouter(core_sockets + websocket_urlpatterns), scope)
    await socket.send_input({"type": "websocket.connect"})
    answer = await socket.receive_output(timeout=5)
    return socket, answer["type"] == "websocket.accept"


def test_a_new_case_and_a_claim_reach_the_open_queue_page(
    desk: Desk, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(consumers, "CHECK_SECONDS", 0.2)

    async def scenario() -> list[Any]:
        socket, connected = await _connect(desk.kari, "housing")
        assert connected
        heard = []
        await _in_thread(
            lambda: services.open_case(
                queue=desk.housing, subject="Nøkkel", by=None, first=NewMessage(text="Mistet")
            )
        )
        heard.append(await socket.receive_json_from(timeout=5))
        assert await socket.receive_nothing(timeout=0.6)  # once per change
        await socket.disconnect()
        return heard

    assert _run(scenario) == [{"changed": True}]
    assert QueueChange.objects.filter(queue_id=desk.housing.pk).exists()


def test_a_queue_the_user_may_not_see_refuses_the_connection(desk: Desk) -> None:
    """Accepted and closed at once with 4403, so the page knows to stop trying."""

    async def scenario() -> Any:
        socket, _accepted = await _connect(desk.kari, "health")
        return await socket.receive_output(timeout=5)

    assert _run(scenario) == {"type": "websocket.close", "code": 4403}


def test_a_case_assigned_to_me_rings_my_bell_and_only_mine(
    desk: Desk, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(consumers, "CHECK_SECONDS", 0.2)
    case = services.open_case(queue=desk.housing, subject="Vannlekkasje", by=None)

    async def scenario() -> tuple[Any, bool]:
        mine, connected = await _open(desk.kari, "/ws/notifications/")
        theirs, also = await _open(desk.ola, "/ws/notifications/")
        assert connected and also
        await _in_thread(
            lambda: services.assign_case(case, to=desk.kari, by=desk.ola, version=None)
        )
        heard = await mine.receive_json_from(timeout=5)
        quiet = await theirs.receive_nothing(timeout=0.8)
        await _in_thread(lambda: notifications.mark_read(desk.kari))  # read in another tab
        heard_again = await mine.receive_json_from(timeout=5)
        assert heard_again == heard
        await mine.disconnect()
        await theirs.disconnect()
        return heard, quiet

    assert _run(scenario) == ({"changed": True}, True)


def test_the_bell_socket_is_for_signed_in_staff_only(desk: Desk) -> None:
    from django.contrib.auth.models import AnonymousUser

    async def scenario() -> Any:
        socket, _accepted = await _open(AnonymousUser(), "/ws/notifications/")
        return await socket.receive_output(timeout=5)

    assert _run(scenario) == {"type": "websocket.close", "code": 4403}


def _run(scenario: Any) -> Any:
    """Run the async scenario on a loop of its own thread (the browser tests' Playwright
    keeps a loop in the main thread)."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, scenario()).result()


async def _in_thread(work: Any) -> Any:
    from channels.db import database_sync_to_async

    return await database_sync_to_async(work)()


def test_with_redis_a_change_is_pushed_at_once(desk: Desk, settings: Any) -> None:
    """With REDIS_URL, the change goes through Redis to every web process at commit; the
    feed is read only every 30 s, so what arrives within a second was pushed."""
    settings.CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.pubsub.RedisPubSubChannelLayer",
            "CONFIG": {"hosts": [REDIS_URL], "prefix": f"luukku-test-{uuid.uuid4().hex}"},
        }
    }
    channels.layers.channel_layers.backends.clear()

    async def scenario() -> Any:
        socket, connected = await _connect(desk.kari, "housing")
        assert connected
        await _in_thread(lambda: services.claim_case(case, by=desk.ola))
        heard = await socket.receive_json_from(timeout=1)
        await socket.disconnect()
        return heard

    case = services.open_case(queue=desk.housing, subject="Vannlekkasje", by=None)
    try:
        assert _run(scenario) == {"changed": True}
    finally:
        channels.layers.channel_layers.backends.clear()


def test_with_redis_a_notification_rings_the_bell_at_once(desk: Desk, settings: Any) -> None:
    settings.CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.pubsub.RedisPubSubChannelLayer",
            "CONFIG": {"hosts": [REDIS_URL], "prefix": f"luukku-test-{uuid.uuid4().hex}"},
        }
    }
    channels.layers.channel_layers.backends.clear()

    async def scenario() -> Any:
        socket, connected = await _open(desk.kari, "/ws/notifications/")
        assert connected
        await _in_thread(
            lambda: notifications.notify([desk.kari], kind="note", title="Se på saken")
        )
        heard = await socket.receive_json_from(timeout=1)
        await socket.disconnect()
        return heard

    try:
        assert _run(scenario) == {"changed": True}
    finally:
        channels.layers.channel_layers.backends.clear()
