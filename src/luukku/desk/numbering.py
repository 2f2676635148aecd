"""Case numbers: unique and increasing, from a sequence on PostgreSQL (migration 0002)."""

from __future__ import annotations

from django.db import connection
from django.db.models import Max

from luukku.desk.models import Case

SEQUENCE = "desk_case_number"


def next_case_number() -> int:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT nextval(%s)", [SEQUENCE])
            return int(cursor.fetchone()[0])
    # SQLite runs one writing transaction at a time.
    return int(Case.objects.aggregate(top=Max("number"))["top"] or 1000) + 1


def next_case_numbers(count: int) -> list[int]:
    """`count` numbers at once, in order."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT nextval(%s) FROM generate_series(1, %s)", [SEQUENCE, count])
            return sorted(int(row[0]) for row in cursor.fetchall())
    first = next_case_number()
    return list(range(first, first + count))
