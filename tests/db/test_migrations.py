from __future__ import annotations

from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy.engine import Connection

from repdesk.db.base import Base
from repdesk.db.engine import Database
from repdesk.db.migrate import migrations_current


async def test_migrations_match_the_models(db: Database) -> None:
    """Every model change ships with its migration (on the backend under test)."""

    def diff(conn: Connection) -> list[Any]:
        ctx = MigrationContext.configure(conn, opts={"compare_type": False})
        return [d for d in compare_metadata(ctx, Base.metadata) if not _ignorable(d)]

    async with db.engine.connect() as conn:
        changes = await conn.run_sync(diff)
    assert changes == []


def _ignorable(change: Any) -> bool:
    # alembic_version is Alembic's own table.
    if isinstance(change, tuple) and change and change[0] == "remove_table":
        return bool(change[1].name == "alembic_version")
    return False


async def test_database_is_at_every_head(db: Database) -> None:
    assert await migrations_current(db)
