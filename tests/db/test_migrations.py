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


def test_the_migrations_are_one_line_with_one_head() -> None:
    """Merged branches re-chain their migrations: ``upgrade`` applies every head, so a second
    head would go unnoticed until two branches' migrations met in the wrong order."""
    from alembic.script import ScriptDirectory

    from repdesk.db.migrate import alembic_config

    scripts = ScriptDirectory.from_config(alembic_config("sqlite://"))
    heads = scripts.get_heads()
    assert len(heads) == 1, heads
    revisions = {r.revision: r for r in scripts.walk_revisions()}
    # file names start with the revision's own number, so a reader finds the chain in order
    for revision in revisions.values():
        assert revision.path is not None
        assert revision.path.rsplit("/", 1)[-1].startswith(revision.revision[:4]), revision.path
