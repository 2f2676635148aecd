"""Writing many new rows at once: COPY on PostgreSQL, bulk INSERT elsewhere.

For imports of hundreds of thousands of rows, Django's bulk_create spends most of its
time building statements and parameter arrays; COPY streams the rows instead. Primary
keys are taken from the table's sequence first, so callers get their ids back.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.db import connection, models

BATCH = 2000


def _allocate_ids(model: type[models.Model], count: int) -> list[int]:
    table = model._meta.db_table
    assert model._meta.pk is not None
    column = model._meta.pk.column
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
            [table, column, count],
        )
        return [row[0] for row in cursor.fetchall()]


def insert_many(model: type[models.Model], objs: Sequence[Any]) -> Sequence[Any]:
    """Insert new instances of `model` (auto fields and auto_now dates are filled in)."""
    if not objs:
        return objs
    if connection.vendor != "postgresql":
        return model.objects.bulk_create(objs, batch_size=BATCH)  # type: ignore[attr-defined]
    pk = model._meta.pk
    assert pk is not None
    if isinstance(pk, models.AutoField | models.BigAutoField):
        missing = [obj for obj in objs if obj.pk is None]
        for obj, new_id in zip(missing, _allocate_ids(model, len(missing)), strict=True):
            obj.pk = new_id
    fields = list(model._meta.concrete_fields)
    columns = ", ".join(connection.ops.quote_name(f.column) for f in fields)
    table = connection.ops.quote_name(model._meta.db_table)
    sql = f"COPY {table} ({columns}) FROM STDIN"
    with connection.cursor() as cursor, cursor.cursor.copy(sql) as copy:
        for obj in objs:
            copy.write_row([f.get_db_prep_save(f.pre_save(obj, True), connection) for f in fields])
    return objs
