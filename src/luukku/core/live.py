"""Pushing "something changed" to open pages, across processes when Redis is there.

A page part that updates live holds a WebSocket to a consumer; the consumer looks at a
cheap feed of its own every few seconds (an index probe), and with `REDIS_URL` set the
change is also sent through the channel layer at commit, so the page hears of it at once
and reads the feed only as a safety net.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from typing import Any

from channels.layers import get_channel_layer
from django.conf import settings
from django.db import transaction

logger = logging.getLogger("luukku.live")


def pushed_across_processes() -> bool:
    """Whether the channel layer reaches every process (Redis), not just this one."""
    backend = str(settings.CHANNEL_LAYERS["default"]["BACKEND"])
    return "InMemory" not in backend


def push_on_commit(group: str, event: dict[str, Any]) -> None:
    """Send `event` to the group's sockets once the current transaction commits (only
    with a cross-process channel layer: without one, the consumers read their feed)."""
    if pushed_across_processes():
        transaction.on_commit(lambda: _publisher().send(group, event))


class _Publisher:
    """One event loop thread per process that sends pushes, so the channel layer keeps one
    Redis connection instead of opening one per change, and a slow Redis never holds up
    the request, job or mail that made the change."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        threading.Thread(target=self.loop.run_forever, name="luukku-live", daemon=True).start()

    def send(self, group: str, event: dict[str, Any]) -> None:
        asyncio.run_coroutine_threadsafe(self._send(group, event), self.loop)

    @staticmethod
    async def _send(group: str, event: dict[str, Any]) -> None:
        try:
            layer = get_channel_layer()
            if layer is not None:
                await layer.group_send(group, event)
        except Exception:  # pages update by their feed anyway; the change itself is done
            logger.warning("could not push to %s", group, exc_info=True)


_the_publisher: _Publisher | None = None
_publisher_lock = threading.Lock()


def _publisher() -> _Publisher:
    global _the_publisher
    with _publisher_lock:
        if _the_publisher is None:
            _the_publisher = _Publisher()
        return _the_publisher
