from __future__ import annotations

from typing import Any

from django.core import signing
from django.db.models import QuerySet
from django.http import HttpRequest
from ninja import Field, Schema
from ninja.errors import HttpError
from ninja.pagination import PaginationBase

_SALT = "luukku.api.cursor"


def encode_cursor(last_pk: Any) -> str:
    return signing.dumps(last_pk, salt=_SALT, compress=True)


def decode_cursor(cursor: str) -> Any:
    try:
        return signing.loads(cursor, salt=_SALT)
    except signing.BadSignature:
        raise HttpError(400, "The cursor is not valid; start again without it.") from None


def page_of(
    queryset: QuerySet[Any], *, cursor: str | None, limit: int
) -> tuple[list[Any], str | None]:
    """One page of `queryset` in primary-key order, and the cursor of the next page."""
    queryset = queryset.order_by("pk")
    if cursor:
        queryset = queryset.filter(pk__gt=decode_cursor(cursor))
    page = list(queryset[: limit + 1])
    has_more = len(page) > limit
    page = page[:limit]
    return page, (encode_cursor(page[-1].pk) if has_more and page else None)


class CursorPagination(PaginationBase):
    """Stable keyset pagination by primary key: ``?limit=50&cursor=<next_cursor>``."""

    class Input(Schema):
        limit: int = Field(50, ge=1, le=500, description="Items per page (1–500).")
        cursor: str | None = Field(None, description="The next_cursor of the previous page.")

    class Output(Schema):
        items: list[Any]
        next_cursor: str | None = None

    items_attribute = "items"

    def paginate_queryset(
        self, queryset: QuerySet[Any], pagination: Any, request: HttpRequest, **params: Any
    ) -> dict[str, Any]:
        page, next_cursor = page_of(queryset, cursor=pagination.cursor, limit=pagination.limit)
        return {"items": page, "next_cursor": next_cursor}
