"""Segments as the desk sees them. The segments app lies above the desk (its rules read
cases), so the desk cannot import it; instead the segments app tells the desk, when it
starts, how to answer three questions: which segments a person is in, which of some
names are segments, and what segments there are. Without it nobody is in any segment."""

from __future__ import annotations

from collections.abc import Callable, Iterable

SegmentsOf = Callable[[int], set[str]]
Existing = Callable[[Iterable[str]], set[str]]
Listed = Callable[[], list[tuple[str, str]]]


def _nobody(_person_id: int) -> set[str]:
    return set()


def _none(_names: Iterable[str]) -> set[str]:
    return set()


def _no_list() -> list[tuple[str, str]]:
    return []


_segments_of: SegmentsOf = _nobody
_existing: Existing = _none
_listed: Listed = _no_list


def install(segments_of: SegmentsOf, existing: Existing, listed: Listed) -> None:
    global _segments_of, _existing, _listed
    _segments_of, _existing, _listed = segments_of, existing, listed


def listed() -> list[tuple[str, str]]:
    """(short name, name) of every segment in use, for menus."""
    return _listed()


def segments_of(person_id: int | None) -> set[str]:
    """The short names of the segments the person is in now."""
    return _segments_of(person_id) if person_id is not None else set()


def existing(names: Iterable[str]) -> set[str]:
    """Those of `names` that are segments."""
    return _existing(names)
