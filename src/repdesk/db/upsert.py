"""``INSERT ... ON CONFLICT DO NOTHING`` on PostgreSQL and SQLite, in one statement.

A savepoint around an ORM insert costs three round trips and a flush; hot paths that only
need "insert unless it exists" (the webhook ingest, deduplicated jobs) use this instead.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Table
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession


async def insert_ignore(
    session: AsyncSession,
    table: Table,
    rows: Sequence[dict[str, Any]],
    *,
    conflict: Sequence[str],
    returning: str | None = None,
) -> list[Any]:
    """Insert ``rows``, skipping any that conflict on the unique columns ``conflict``.

    Column defaults declared on the model apply. Returns the ``returning`` column of the rows
    actually inserted (empty without ``returning``).
    """
    if not rows:
        return []
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    # Parameters go to execute() (executemany with "insertmanyvalues"), not into .values():
    # the statement then has one shape, so SQLAlchemy compiles it once and caches it.
    stmt = insert(table).on_conflict_do_nothing(index_elements=list(conflict))
    params = [_complete(table, row) for row in rows]
    if returning is None:
        await session.execute(stmt, params)
        return []
    result = await session.execute(stmt.returning(table.c[returning]), params)
    return list(result.scalars())


def _complete(table: Table, row: dict[str, Any]) -> dict[str, Any]:
    """``row`` with every column given: Python-side defaults filled in, so that all rows of
    an executemany have the same keys."""
    out = dict(row)
    for col in table.columns:
        if col.key in out:
            continue
        default = col.default
        if default is None:
            out[col.key] = None
        elif default.is_callable:
            out[col.key] = default.arg(None)  # type: ignore[attr-defined]
        elif default.is_scalar:
            out[col.key] = default.arg  # type: ignore[attr-defined]
    return out
