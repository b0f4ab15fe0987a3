"""Database time the contacts' computed attributes add per inbound message.

Records N customer messages (from M customers, in a warm database) through the inbound path
twice: with the contacts consumers registered and with them taken out, and sums the time spent
in the database driver per message (SQLAlchemy's cursor-execute events: statement time, not
Python time). Run: ``python -m bench.contacts_ingest [sqlite|postgresql://...] [N]``.
"""

from __future__ import annotations

import asyncio
import statistics
import sys
import tempfile
import time
from typing import Any

from sqlalchemy import event

from repdesk.accounts import service as accounts
from repdesk.app import load_modules
from repdesk.assistants import service as assistants
from repdesk.assistants.models import Assistant
from repdesk.conversations import service as conversations
from repdesk.db.engine import Database
from repdesk.db.migrate import upgrade
from repdesk.db.models_all import import_all_models
from repdesk.events import service as events
from repdesk.events.types import Event

CONSUMERS = ("contacts.inbound", "contacts.conversation_opened")


class Timer:
    def __init__(self, db: Database) -> None:
        self.total = 0.0
        self.statements = 0
        self.contact_updates = 0.0  # the statement the consumers add columns to
        sync = db.engine.sync_engine

        @event.listens_for(sync, "before_cursor_execute")
        def before(conn: Any, *_: Any) -> None:
            conn.info["t0"] = time.perf_counter()

        @event.listens_for(sync, "after_cursor_execute")
        def after(conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
            spent = time.perf_counter() - conn.info.pop("t0")
            self.total += spent
            self.statements += 1
            if statement.startswith("UPDATE contacts"):
                self.contact_updates += spent


async def run(url: str, n: int, customers: int = 200) -> None:
    db = Database(url)
    async with db.transaction() as session:
        _, ws = await accounts.register(
            session,
            email=f"bench{time.time_ns()}@shop.test",
            password="correct horse battery",
            business_name="Bench",
            verified=True,
            send_email=False,
        )
        assistant = await assistants.create(
            session, workspace_id=ws.id, name="Bench", platform="whatsapp"
        )
    removed = {e: list(events._INLINE[e]) for e in Event}
    timer = Timer(db)

    async def batch(tag: str) -> tuple[float, float, float]:
        # warm: every customer has written once, so the timed messages are the steady state
        per_message: list[float] = []
        updates: list[float] = []
        statements = []
        for i in range(n):
            before, count, upd = timer.total, timer.statements, timer.contact_updates
            async with db.transaction() as session:
                loaded = await session.get(Assistant, assistant.id)  # as the ingest job has it
                assert loaded is not None
                await conversations.record_inbound(
                    session,
                    assistant=loaded,
                    channel="whatsapp",
                    type="text",
                    text="thanks, the shoes are lovely 😍" if i % 2 else "how much is delivery?",
                    phone=f"+2348{tag}{i % customers:05d}",
                    external_id=f"wamid.{tag}.{i}",
                    trigger_ai=False,
                )
            if i >= customers:
                per_message.append(timer.total - before)
                updates.append(timer.contact_updates - upd)
                statements.append(timer.statements - count)
        return (
            statistics.mean(per_message) * 1000,
            statistics.mean(statements),
            statistics.mean(updates) * 1000,
        )

    # Alternate blocks with and without the consumers, so that the machine's load drifts
    # through both alike.
    with_runs, without_runs = [], []
    for block in range(4):
        for e in Event:
            events._INLINE[e] = removed[e]
        with_runs.append(await batch(f"{block}1"))
        for e in Event:
            events._INLINE[e] = [c for c in events._INLINE[e] if c[0] not in CONSUMERS]
        without_runs.append(await batch(f"{block}2"))
    for e in Event:
        events._INLINE[e] = removed[e]
    with_ms = statistics.median(r[0] for r in with_runs)
    without_ms = statistics.median(r[0] for r in without_runs)
    with_st, without_st = with_runs[0][1], without_runs[0][1]
    with_up = statistics.median(r[2] for r in with_runs)
    without_up = statistics.median(r[2] for r in without_runs)
    await db.dispose()
    name = url.split(":")[0]
    print(
        f"{name}: per inbound message, DB time {with_ms:.3f} ms with the contacts consumers, "
        f"{without_ms:.3f} ms without ({with_ms - without_ms:+.3f} ms); statements "
        f"{with_st:.1f} vs {without_st:.1f}; the contact's UPDATE {with_up:.3f} ms vs "
        f"{without_up:.3f} ms"
    )


def main() -> None:
    load_modules()
    import_all_models()
    target = sys.argv[1] if len(sys.argv) > 1 else "sqlite"
    n = int(sys.argv[2]) if len(sys.argv) > 2 else 2000
    if target == "sqlite":
        url = f"sqlite+aiosqlite:///{tempfile.mkdtemp()}/bench.db"
    else:
        url = target.replace("postgresql://", "postgresql+asyncpg://", 1)
    upgrade(url)
    asyncio.run(run(url, n))


if __name__ == "__main__":
    main()
