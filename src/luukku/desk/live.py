"""Live queue pages: a change to a queue's cases reaches the agents who have it open.

Every change writes a `QueueChange` row in its own transaction. An open queue page
holds a WebSocket (`consumers.QueueConsumer`) that looks at the newest row of its queue
every few seconds, an index probe, and tells the page to fetch its rows again when it
moved. With `REDIS_URL` set, the change is also sent through the channel layer at commit,
so pages update at once and look at the feed only as a safety net.
"""

from __future__ import annotations

import datetime

from django.utils import timezone

from luukku.core.jobs import job, periodic
from luukku.core.live import push_on_commit
from luukku.desk.models import QueueChange

KEEP_FOR = datetime.timedelta(minutes=10)


def group_name(queue_id: int) -> str:
    return f"desk.queue.{queue_id}"


def announce(queue_id: int) -> None:
    """Record that the queue changed; pages that show it update once this commits."""
    QueueChange.objects.create(queue_id=queue_id)
    push_on_commit(group_name(queue_id), {"type": "live.changed"})


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
