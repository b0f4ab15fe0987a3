from __future__ import annotations

import asyncio

from alembic import context
from sqlalchemy.engine import Connection

from repdesk.db.base import Base
from repdesk.db.engine import make_engine
from repdesk.db.models_all import import_all_models

import_all_models()
target_metadata = Base.metadata
config = context.config


def run_sync_migrations(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


async def run_async() -> None:
    url = config.attributes.get("database_url") or config.get_main_option("sqlalchemy.url")
    engine = make_engine(str(url), pool_size=1)
    async with engine.connect() as conn:
        await conn.run_sync(run_sync_migrations)
        await conn.commit()
    await engine.dispose()


def run_offline() -> None:
    context.configure(
        url=config.get_main_option("sqlalchemy.url"),
        target_metadata=target_metadata,
        literal_binds=True,
    )
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    run_offline()
else:
    existing = config.attributes.get("connection")
    if existing is not None:
        run_sync_migrations(existing)
    else:
        asyncio.run(run_async())
