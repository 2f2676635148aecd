"""Live queue pages: a change to a queue's cases reaches the agents who have it open.

Every change writes a `QueueChange` row in its own transaction. An open queue page
holds a WebSocket (`consumers.QueueConsumer`) that looks at the newest row of its queue
every few seconds, an index probe, and tells the page to fetch its rows again when it
moved. With `REDIS_URL` set, the change is also sent through the channel layer at commit,
so pages update at once and look at the feed only as a safety net.
"""

from __future__ import annotations

import asyncio
import datetime
import logging
import threading

from channels.layers import get_channel_layer
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from luukku.core.jobs import job, periodic
from luukku.desk.models import QueueChange

logger = logging.getLogger("luukku.desk")

KEEP_FOR = datetime.timedelta(minutes=10)


def group_name(queue_id: int) -> str:
    return f"desk.queue.{queue_id}"


def pushed_across_processes() -> bool:
    """Whether the channel layer reaches every process (Redis), not just this one."""
    backend = str(settings.CHANNEL_LAYERS["default"]["BACKEND"])
    return "InMemory" not in backend


def announce(queue_id: int) -> None:
    """Record that the queue changed; pages that show it update once this commits."""
    QueueChange.objects.create(queue_id=queue_id)
    if pushed_across_processes():
        transaction.on_commit(lambda: _push(queue_id))


class _Publisher:
    """One event loop thread per process that sends pushes, so the channel layer keeps one
    Redis connection instead of opening one per change, and a slow Redis never holds up
    the request, job or mail that made the change."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        threading.Thread(target=self.loop.run_forever, name="luukku-live", daemon=True).start()

    def send(self, queue_id: int) -> None:
        asyncio.run_coroutine_threadsafe(self._send(queue_id), self.loop)

    @staticmethod
    async def _send(queue_id: int) -> None:
        try:
            layer = get_channel_layer()
            if layer is not None:
                await layer.group_send(group_name(queue_id), {"type": "queue.changed"})
        except Exception:  # a page updates by the feed anyway; the change itself is done
            logger.warning("could not push the change of queue %s", queue_id, exc_info=True)


_publisher: _Publisher | None = None
_publisher_lock = threading.Lock()


def _push(queue_id: int) -> None:
    global _publisher
    with _publisher_lock:
        if _publisher is None:
            _publisher = _Publisher()
    _publisher.send(queue_id)


def latest_change(queue_id: int) -> int:
    """The newest feed row of the queue (0: none kept)."""
    latest = (
        QueueChange.objects.filter(queue_id=queue_id)
        .order_by("-id")
        .values_list("id", flat=True)
        .first()
    )
    return latest or 0


@periodic(every=datetime.timedelta(minutes=5))
@job(max_attempts=1)
def trim_queue_changes() -> int:
    """Forget changes every open page has seen long ago."""
    deleted, _ = QueueChange.objects.filter(at__lt=timezone.now() - KEEP_FOR).delete()
    return deleted
