"""The hand-over journal: a file beside the sending worker with a line for each message
whose end was written to the server, kept while its batch's outcomes are not yet
recorded in the database.

Recording each message in the database as it leaves would cost a round trip per
message; the journal costs one small write. A worker killed mid-batch (even with
SIGKILL) leaves its journal behind: the next sender on the machine finds it unlocked,
counts the messages it names as sent and puts the rest of the batch back in the queue.
Nothing is lost and nothing is sent twice. The exclusive lock on the file (released by
the kernel when its process dies) tells a dead batch from one still being sent.
"""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

SUFFIX = ".journal"


class Journal:
    """One batch's journal, locked for as long as this process holds it."""

    def __init__(self, directory: Path, claim: int) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        self.path = directory / f"{claim}{SUFFIX}"
        self.fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        fcntl.flock(self.fd, fcntl.LOCK_EX | fcntl.LOCK_NB)

    def handed(self, key: int) -> None:
        os.write(self.fd, b"%d\n" % key)

    def discard(self) -> None:
        """The batch's outcomes are committed: the journal is no longer needed."""
        self.path.unlink(missing_ok=True)
        os.close(self.fd)


@dataclass(frozen=True)
class Orphan:
    claim: int
    handed: set[int]


@contextmanager
def _locked(path: Path) -> Iterator[int | None]:
    """The file's descriptor if no living process holds it, else None."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except FileNotFoundError:
        yield None
        return
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            yield None
            return
        yield fd
    finally:
        os.close(fd)


def orphans(directory: Path) -> Iterator[Orphan]:
    """Journals whose process died, each held locked while the caller records it and
    removed afterwards (a journal found again later is harmless: recording is idempotent)."""
    if not directory.is_dir():
        return
    for path in sorted(directory.glob(f"*{SUFFIX}")):
        try:
            claim = int(path.name.removesuffix(SUFFIX))
        except ValueError:
            continue
        with _locked(path) as fd:
            if fd is None:
                continue
            with open(fd, closefd=False) as file:
                lines = file.read().split()
            yield Orphan(claim=claim, handed={int(line) for line in lines if line.isdigit()})
            path.unlink(missing_ok=True)
