"""The WebSocket an open queue page holds, to hear that its queue changed."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer

from luukku.core.models import User
from luukku.desk import access, live

logger = logging.getLogger("luukku.desk")

# How often the feed is read: often without a cross-process channel layer, rarely with one
# (as a safety net for a push lost in a Redis restart).
CHECK_SECONDS = 2.0
CHECK_SECONDS_WITH_PUSH = 30.0


def _visible_queue(user: Any, slug: str) -> int | None:
    if not isinstance(user, User) or not user.is_authenticated or not user.is_active:
        return None
    visible = access.queues_visible_to(user).filter(slug=slug)
    queue_id: int | None = visible.values_list("pk", flat=True).first()
    return queue_id


class QueueConsumer(AsyncJsonWebsocketConsumer):
    """Sends {"changed": true} whenever the queue's cases changed; the page then fetches
    its rows again over HTTP, where its filters and the viewer's access apply."""

    queue_id: int
    seen: int
    watcher: asyncio.Task[None] | None = None

    async def connect(self) -> None:
        slug = self.scope["url_route"]["kwargs"]["slug"]
        queue_id = await database_sync_to_async(_visible_queue)(self.scope.get("user"), slug)
        if queue_id is None:  # accepted, then closed: the page sees why, and stops trying
            await self.accept()
            await self.close(code=4403)
            return
        self.queue_id = queue_id
        self.seen = await database_sync_to_async(live.latest_change)(queue_id)
        if self.channel_layer is not None:
            await self.channel_layer.group_add(live.group_name(queue_id), self.channel_name)
        await self.accept()
        self.watcher = asyncio.create_task(self._watch())

    async def disconnect(self, code: int) -> None:
        if self.watcher is not None:
            self.watcher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self.watcher
        if self.channel_layer is not None and hasattr(self, "queue_id"):
            await self.channel_layer.group_discard(
                live.group_name(self.queue_id), self.channel_name
            )

    async def queue_changed(self, event: dict[str, Any]) -> None:
        """A change pushed through the channel layer (`live.announce`)."""
        await self.send_json({"changed": True})

    async def _watch(self) -> None:
        every = CHECK_SECONDS_WITH_PUSH if live.pushed_across_processes() else CHECK_SECONDS
        try:
            while True:
                await asyncio.sleep(every)
                latest = await database_sync_to_async(live.latest_change)(self.queue_id)
                if latest != self.seen:
                    self.seen = latest
                    await self.send_json({"changed": True})
        except asyncio.CancelledError:
            raise
        except Exception:  # the database is away: the page reconnects, and polls meanwhile
            logger.warning("live queue check failed", exc_info=True)
            await self.close(code=1011)
