"""Parsing the rows of a large file on every core.

Checking a row (phone numbers, email addresses, dates, custom fields) is pure Python
and costs tens of microseconds, which for a million rows is most of an import. Rows go
to forked worker processes in chunks and come back in order, so the parent spends its
time writing to the database while the workers parse. The workers never touch the
database: the parser has loaded all it needs before the fork.
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Iterable, Iterator
from itertools import islice

from luukku.customers.importing.rows import ParsedRow, RowParser, RowProblem

CHUNK = 2000
# Smaller files are parsed in the calling process: starting workers would cost more.
MIN_BYTES = 2_000_000

Cells = tuple[int, list[str]]
Parsed = tuple[ParsedRow | None, list[RowProblem]]

_parser: RowParser | None = None


def _parse_chunk(chunk: list[Cells]) -> list[Parsed]:
    assert _parser is not None
    return [_parser.parse(number, cells) for number, cells in chunk]


def _chunks(rows: Iterable[Cells]) -> Iterator[list[Cells]]:
    iterator = iter(rows)
    while chunk := list(islice(iterator, CHUNK)):
        yield chunk


def workers_for(size: int) -> int:
    """How many worker processes to parse a file of `size` bytes with (0: none)."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    if (
        size < MIN_BYTES
        or (cores or 1) < 2
        or "fork" not in multiprocessing.get_all_start_methods()
    ):
        return 0
    return min(cores or 1, 4)


def parse_rows(parser: RowParser, rows: Iterable[Cells], *, workers: int) -> Iterator[Parsed]:
    """(parsed row or None, its problems) for each row, in file order."""
    if workers < 1:
        for number, cells in rows:
            yield parser.parse(number, cells)
        return
    global _parser
    _parser = parser
    context = multiprocessing.get_context("fork")
    with context.Pool(workers) as pool:
        for results in pool.imap(_parse_chunk, _chunks(rows), chunksize=1):
            yield from results
