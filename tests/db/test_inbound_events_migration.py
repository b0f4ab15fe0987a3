"""Migration 0016 moves whatsapp_events into inbound_events: events in flight stay pending,
processed ones keep recognising redeliveries, set-aside ones stay set aside."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import bindparam, inspect, text
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from repdesk.db.base import JSONType
from repdesk.db.migrate import alembic_config, upgrade_async
from repdesk.db.types import UTCDateTime
from tests.conftest import BACKEND, PG_ADMIN_URL

DONE = datetime(2026, 12, 1, 10, tzinfo=UTC)


@pytest.fixture
async def fresh_url(tmp_path: Path) -> AsyncIterator[str]:
    """An empty database of the backend under test."""
    if BACKEND != "postgres":
        yield f"sqlite+aiosqlite:///{tmp_path / 'm.db'}"
        return
    name = f"repdesk_m_{uuid.uuid4().hex[:8]}"
    admin_url = PG_ADMIN_URL.replace("postgresql://", "postgresql+asyncpg://", 1)
    admin = create_async_engine(admin_url, isolation_level="AUTOCOMMIT")
    async with admin.connect() as conn:
        await conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield admin_url.rsplit("/", 1)[0] + f"/{name}"
    finally:
        async with admin.connect() as conn:
            await conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        await admin.dispose()


async def _insert_old_events(engine: AsyncEngine) -> None:
    rows = [
        # id, dedupe_key, processed, attempts, last_error
        ("ev_pending", "msg:wamid.PENDING", None, 0, None),
        ("ev_done", "msg:wamid.DONE", DONE, 0, None),
        ("ev_aside", "msg:wamid.ASIDE", DONE, 5, "RuntimeError: bad"),
    ]
    async with engine.begin() as conn:
        if BACKEND == "postgres":  # no connection row: skip the foreign key's trigger
            await conn.execute(text("SET session_replication_role = replica"))
        for id_, key, processed, attempts, error in rows:
            await conn.execute(
                text(
                    "INSERT INTO whatsapp_events (id, connection_id, kind, dedupe_key, payload, "
                    "received_at, processed_at, attempts, last_error) VALUES (:id, 'conn1', "
                    "'message', :key, :payload, :received, :processed, :attempts, :error)"
                ).bindparams(
                    bindparam("payload", type_=JSONType),
                    bindparam("received", type_=UTCDateTime),
                    bindparam("processed", type_=UTCDateTime),
                ),
                {
                    "id": id_,
                    "key": key,
                    "payload": {"object": "whatsapp_business_account"},
                    "received": DONE - timedelta(hours=1),
                    "processed": processed,
                    "attempts": attempts,
                    "error": error,
                },
            )


async def test_whatsapp_events_move_to_inbound_events_with_their_state(fresh_url: str) -> None:
    await upgrade_async(fresh_url, "0015_contacts_book")
    engine = create_async_engine(fresh_url)
    try:
        await _insert_old_events(engine)
        await upgrade_async(fresh_url, "0016_inbound_events")
        async with engine.connect() as conn:
            rows = (
                await conn.execute(
                    text(
                        "SELECT id, provider, account_id, external_id, kind, state, attempts, "
                        "last_error FROM inbound_events ORDER BY id"
                    )
                )
            ).all()
            tables = await conn.run_sync(lambda sync: inspect(sync).get_table_names())
        assert [tuple(r) for r in rows] == [
            (
                "ev_aside",
                "whatsapp",
                "conn1",
                "msg:wamid.ASIDE",
                "message",
                "set_aside",
                5,
                "RuntimeError: bad",
            ),
            ("ev_done", "whatsapp", "conn1", "msg:wamid.DONE", "message", "processed", 0, None),
            ("ev_pending", "whatsapp", "conn1", "msg:wamid.PENDING", "message", "pending", 0, None),
        ]
        assert "whatsapp_events" not in tables
        # And back: the old table returns (rows of connections that exist go with it).
        await asyncio.to_thread(command.downgrade, alembic_config(fresh_url), "0015_contacts_book")
        async with engine.connect() as conn:
            tables = await conn.run_sync(lambda sync: inspect(sync).get_table_names())
        assert "whatsapp_events" in tables and "inbound_events" not in tables
    finally:
        await engine.dispose()
