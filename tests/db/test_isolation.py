"""Each test starts from empty tables, whatever fixture brought it its database."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from repdesk.accounts.models import User
from repdesk.db.engine import Database
from tests.conftest import PostgresCleaner
from tests.factories import create_account


@pytest.mark.postgres_only
async def test_the_cleaner_empties_rows_written_outside_the_db_fixture(
    database_url: str, pg_cleaner: PostgresCleaner
) -> None:
    """A live server or a CLI writes through its own engine, never through ``db``: the next
    test that gets ``database_url`` (``settings`` does) still starts empty."""
    own = Database(database_url)
    try:
        await create_account(own, email="left@over.test")
        async with own.session() as s:
            assert await s.scalar(select(func.count()).select_from(User)) == 1
        pg_cleaner.clean()  # what the next test's database_url does first
        async with own.session() as s:
            assert await s.scalar(select(func.count()).select_from(User)) == 0
        pg_cleaner.clean()  # nothing to empty: one round trip, no error
    finally:
        await own.dispose()


async def test_a_test_starts_with_no_rows(db: Database) -> None:
    async with db.session() as s:
        assert await s.scalar(select(func.count()).select_from(User)) == 0
