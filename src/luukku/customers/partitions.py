"""Monthly partitions of the timeline on PostgreSQL.

The event table is partitioned by range on `occurred_at`, one partition per
month, plus a default partition for anything outside the prepared months.
Partitions are created ahead of time by a periodic job and on demand before
a batch of events is written, so rows only land in the default partition if
something writes around the ingest path.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable

from django.db import connection, transaction

TABLE = "customers_event"


def month_start(moment: datetime.datetime | datetime.date) -> datetime.date:
    return datetime.date(moment.year, moment.month, 1)


def next_month(day: datetime.date) -> datetime.date:
    return datetime.date(day.year + day.month // 12, day.month % 12 + 1, 1)


def partition_name(month: datetime.date) -> str:
    return f"{TABLE}_y{month.year:04d}m{month.month:02d}"


def months_between(first: datetime.date, last: datetime.date) -> Iterable[datetime.date]:
    month = month_start(first)
    while month <= last:
        yield month
        month = next_month(month)


_known: set[datetime.date] = set()


def ensure_partitions(
    first: datetime.datetime | datetime.date, last: datetime.datetime | datetime.date
) -> int:
    """Create the monthly partitions covering [first, last]. Returns how many were created."""
    if connection.vendor != "postgresql":
        return 0
    wanted = [m for m in months_between(month_start(first), month_start(last)) if m not in _known]
    if not wanted:
        return 0
    created = 0
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
            "JOIN pg_class p ON p.oid = i.inhparent WHERE p.relname = %s",
            [TABLE],
        )
        existing = {row[0] for row in cursor.fetchall()}
        for month in wanted:
            name = partition_name(month)
            if name not in existing:
                cursor.execute(
                    f'CREATE TABLE IF NOT EXISTS "{name}" PARTITION OF "{TABLE}" '
                    "FOR VALUES FROM (%s) TO (%s)",
                    [month.isoformat(), next_month(month).isoformat()],
                )
                created += 1
    # Remember the months only once they are committed: a partition made in a
    # transaction that rolls back is gone, and must be made again next time.
    transaction.on_commit(lambda: _known.update(wanted))
    return created


def forget_known_partitions() -> None:
    """For tests that recreate the database."""
    _known.clear()
