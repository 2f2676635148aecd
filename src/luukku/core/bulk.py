"""Writing many new rows at once: COPY on PostgreSQL, bulk INSERT elsewhere.

For imports of hundreds of thousands of rows, Django's bulk_create spends most of its
time building model instances, statements and parameter arrays; COPY streams plain
tuples instead. Primary keys are taken from the table's sequence first, so callers get
their ids back.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

import psycopg
from django.db import connection, models
from django.utils import timezone
from pydantic_core import to_json

BATCH = 2000

Row = Mapping[str, Any]


_sequences: dict[str, str] = {}


def sequence_of(model: type[models.Model]) -> str:
    """The name of the sequence that numbers `model`'s rows (PostgreSQL), looked up once."""
    table = model._meta.db_table
    if table not in _sequences:
        assert model._meta.pk is not None
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_get_serial_sequence(%s, %s)", [table, model._meta.pk.column])
            _sequences[table] = cursor.fetchone()[0]
    return _sequences[table]


def allocate_ids(model: type[models.Model], count: int) -> list[int]:
    """`count` new primary keys from the table's sequence (PostgreSQL)."""
    if count == 0:
        return []
    with connection.cursor() as cursor:
        # The sequence is named once: looked up per row, it costs more than the ids.
        cursor.execute(
            "SELECT nextval(%s::regclass) FROM generate_series(1, %s)",
            [sequence_of(model), count],
        )
        return [row[0] for row in cursor.fetchall()]


@contextmanager
def array_cursor() -> Iterator[psycopg.Cursor[Any]]:
    """A cursor on Django's connection (same transaction) that binds parameters on the
    server, so a query can take a list as a binary array with `%b`: for the 10,000 keys
    of an event batch, a third of the cost of quoting them into the statement."""
    connection.ensure_connection()
    with psycopg.Cursor(connection.connection) as cursor:
        yield cursor


def _defaults(fields: list[models.Field[Any, Any]]) -> dict[str, Any]:
    now = timezone.now()
    return {
        f.attname: now
        if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False)
        else f.get_default()
        for f in fields
    }


def copy_rows(model: type[models.Model], rows: Sequence[Row]) -> list[int]:
    """Insert rows given as {attname: value} (ids for foreign keys, dicts for JSON);
    a field a row leaves out takes its default, auto_now dates take now. Returns the
    new ids in order."""
    if not rows:
        return []
    pk = model._meta.pk
    assert pk is not None
    fields = [f for f in model._meta.concrete_fields if f is not pk]
    defaults = _defaults(fields)
    if connection.vendor != "postgresql":
        made = model.objects.bulk_create(  # type: ignore[attr-defined]
            [model(**{**defaults, **row}) for row in rows], batch_size=BATCH
        )
        return [obj.pk for obj in made]
    names = [f.attname for f in fields]
    position = {name: i for i, name in enumerate(names, start=1)}
    template = [None, *(defaults[name] for name in names)]
    json_fields = [i for i, f in enumerate(fields, start=1) if isinstance(f, models.JSONField)]
    ids = allocate_ids(model, len(rows))
    columns = ", ".join(connection.ops.quote_name(f.column) for f in [pk, *fields])
    table = connection.ops.quote_name(model._meta.db_table)
    with (
        connection.cursor() as cursor,
        cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy,
    ):
        for new_id, row in zip(ids, rows, strict=True):
            values = template.copy()
            values[0] = new_id
            for name, value in row.items():
                values[position[name]] = value
            for i in json_fields:
                values[i] = to_json(values[i]).decode()  # in Rust: json.dumps cost more
            copy.write_row(values)
    return ids
