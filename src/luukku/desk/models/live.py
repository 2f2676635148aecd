"""A short feed of which queues changed, so open queue pages can update themselves."""

from __future__ import annotations

from django.db import models


class QueueChange(models.Model):
    """Something changed in a queue (a case came, was claimed, changed status, ...).

    Written in the same transaction as the change, by whichever process made it (web,
    worker, mail receiver), so a page's live connection sees it the moment it commits
    and never before. Rows older than a few minutes are deleted by a periodic job."""

    queue_id = models.BigIntegerField()  # no foreign key: a feed row must not block a queue
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [models.Index(fields=["queue_id", "-id"], name="queue_change_latest")]

    def __str__(self) -> str:
        return f"queue {self.queue_id} changed at {self.at:%H:%M:%S}"
