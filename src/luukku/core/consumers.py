"""WebSockets that tell an open page part "fetch yourself again": the shared watching,
and the staff member's notification bell."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from django.db.models import Count, Max

from luukku.core import live
from luukku.core.models import Notification, User
from luukku.core.notifications import notifications_group

logger = logging.getLogger("luukku.live")

# How often the feed is read: often without a cross-process channel layer, rarely with one
# (as a safety net for a push lost in a Redis restart).
CHECK_SECONDS = 2.0
CHECK_SECONDS_WITH_PUSH = 30.0


def signed_in(user: Any) -> User | None:
    if isinstance(user, User) and user.is_authenticated and user.is_active:
        return user
    return None


class WatchingConsumer(AsyncJsonWebsocketConsumer):
    """Sends {"changed": true} whenever what the socket watches changed: pushed through
    the channel layer (an event of type "live.changed" to its group), or seen in its feed.
    The page then fetches the part over HTTP, where the viewer's access applies.

    A subclass says what it watches (`watch`, in a database thread: None refuses the
    socket) and how to read the feed (`feed`, also in a database thread)."""

    key: Any = None
    group: str = ""
    seen: Any = None
    watcher: asyncio.Task[None] | None = None

    def watch(self) -> tuple[Any, str] | None:
        """(What to watch, the channel-layer group its pushes go to), or None: refused."""
        raise NotImplementedError

    def feed(self) -> Any:
        """A cheap value that changes whenever the watched thing does."""
        raise NotImplementedError

    async def connect(self) -> None:
        watched = await database_sync_to_async(self.watch)()
        if watched is None:  # accepted, then closed: the page sees why, and stops trying
            await self.accept()
            await self.close(code=4403)
            return
        self.key, self.group = watched
        self.seen = await database_sync_to_async(self.feed)()
        if self.channel_layer is not None:
            await self.channel_layer.group_add(self.group, self.channel_name)
        await self.accept()
        self.watcher = asyncio.create_task(self._watch())

    async def disconnect(self, code: int) -> None:
        if self.watcher is not None:
            self.watcher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self.watcher
        if self.channel_layer is not None and self.group:
            await self.channel_layer.group_discard(self.group, self.channel_name)

    async def live_changed(self, event: dict[str, Any]) -> None:
        """A change pushed through the channel layer (`live.push_on_commit`)."""
        await self.send_json({"changed": True})

    async def _watch(self) -> None:
        every = CHECK_SECONDS_WITH_PUSH if live.pushed_across_processes() else CHECK_SECONDS
        try:
            while True:
                await asyncio.sleep(every)
                latest = await database_sync_to_async(self.feed)()
                if latest != self.seen:
                    self.seen = latest
                    await self.send_json({"changed": True})
        except asyncio.CancelledError:
            raise
        except Exception:  # the database is away: the page reconnects, and polls meanwhile
            logger.warning("live check failed", exc_info=True)
            await self.close(code=1011)


def unread_state(user_id: int) -> tuple[int, int]:
    """(How many unread, the newest unread's id): read through the unread index, so a
    person's long history costs nothing."""
    found = Notification.objects.filter(user_id=user_id, read_at__isnull=True).aggregate(
        count=Count("id"), newest=Max("id")
    )
    return found["count"], found["newest"] or 0


class NotificationConsumer(WatchingConsumer):
    """The bell of a signed-in staff member: changes when a notification arrives for them
    or they read some (in another tab, say)."""

    def watch(self) -> tuple[Any, str] | None:
        user = signed_in(self.scope.get("user"))
        if user is None:
            return None
        return user.pk, notifications_group(user.pk)

    def feed(self) -> Any:
        return unread_state(self.key)
