"""Paging long lists without counting them: a page knows only whether another follows."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

LIST_PAGE = 50


@dataclass
class ListPage:
    """A page of a long list that never counts the whole list (a million rows)."""

    items: list[Any]
    number: int
    has_next: bool

    def __iter__(self) -> Any:
        return iter(self.items)

    @property
    def has_previous(self) -> bool:
        return self.number > 1

    @property
    def has_other_pages(self) -> bool:
        return self.has_previous or self.has_next

    @property
    def previous_page_number(self) -> int:
        return self.number - 1

    @property
    def next_page_number(self) -> int:
        return self.number + 1


def list_page(rows: Any, number: str | None, *, size: int = LIST_PAGE) -> ListPage:
    page = int(number) if number and number.isdigit() and int(number) > 0 else 1
    start = (page - 1) * size
    found = list(rows[start : start + size + 1])
    return ListPage(items=found[:size], number=page, has_next=len(found) > size)
