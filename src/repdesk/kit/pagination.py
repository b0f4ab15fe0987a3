"""Cursor pagination: ``{"data", "hasMore", "nextCursor"}``, ordered newest first by id.

Ids are time-sortable (``kit.ids``), so the cursor is simply the last id returned.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Generic, TypeVar

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import Select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

from repdesk.kit.errors import ValidationError

T = TypeVar("T")

MAX_LIMIT = 100
DEFAULT_LIMIT = 20


class Page(BaseModel, Generic[T]):
    model_config = ConfigDict(populate_by_name=True)

    data: list[T]
    has_more: bool = Field(alias="hasMore")
    next_cursor: str | None = Field(alias="nextCursor")


def check_limit(limit: int | None) -> int:
    if limit is None:
        return DEFAULT_LIMIT
    if limit < 1 or limit > MAX_LIMIT:
        raise ValidationError(f"limit must be between 1 and {MAX_LIMIT}.")
    return limit


async def paginate(
    session: AsyncSession,
    stmt: Select[Any],
    *,
    id_column: InstrumentedAttribute[str],
    limit: int | None,
    cursor: str | None,
    ascending: bool = False,
) -> tuple[Sequence[Any], bool, str | None]:
    """Run ``stmt`` one page at a time. Returns (rows, has_more, next_cursor)."""
    size = check_limit(limit)
    if cursor:
        if len(cursor) > 64 or not cursor.isalnum():
            raise ValidationError("cursor is not valid.")
        stmt = stmt.where(id_column > cursor if ascending else id_column < cursor)
    stmt = stmt.order_by(id_column.asc() if ascending else id_column.desc()).limit(size + 1)
    rows = list((await session.execute(stmt)).scalars().all())
    has_more = len(rows) > size
    rows = rows[:size]
    next_cursor = getattr(rows[-1], id_column.key) if has_more and rows else None
    return rows, has_more, next_cursor


def page(items: list[Any], has_more: bool, next_cursor: str | None) -> dict[str, Any]:
    return {"data": items, "hasMore": has_more, "nextCursor": next_cursor}
