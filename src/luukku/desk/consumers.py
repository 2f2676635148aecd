"""The WebSocket an open queue page holds, to hear that its queue changed."""

from __future__ import annotations

from typing import Any

from luukku.core.consumers import WatchingConsumer, signed_in
from luukku.desk import access, live


class QueueConsumer(WatchingConsumer):
    """Changes whenever the queue's cases changed; the page then fetches its rows again
    over HTTP, where its filters and the viewer's access apply."""

    def watch(self) -> tuple[Any, str] | None:
        user = signed_in(self.scope.get("user"))
        if user is None:
            return None
        slug = self.scope["url_route"]["kwargs"]["slug"]
        queue_id = access.queues_visible_to(user).filter(slug=slug).values_list("pk", flat=True)
        found = queue_id.first()
        if found is None:
            return None
        return found, live.group_name(found)

    def feed(self) -> Any:
        return live.latest_change(self.key)
