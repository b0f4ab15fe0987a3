"""``repdesk knowledge reindex`` brings an assistant's index up to date in the foreground."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import func, select

from repdesk.config import Settings
from repdesk.db.engine import Database
from repdesk.knowledge import service as knowledge
from repdesk.knowledge.models import IndexChunk, KnowledgeIndex
from tests.factories import create_account, create_assistant, run_sync


def test_reindex_command_embeds_and_marks_the_index_ready(
    settings: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    from repdesk.cli import main

    async def setup() -> str:
        db = Database(settings.resolved_database_url)
        try:
            # its own address: on PostgreSQL this test shares a database no `db` fixture truncated
            _u, ws = await create_account(db, email=f"reindex-{uuid.uuid4().hex[:8]}@shop.test")
            a = await create_assistant(db, workspace_id=ws.id)
            async with db.transaction() as s:
                await knowledge.create_text(
                    s, assistant_id=a.id, title="Hours", content="Open 9am."
                )
                await knowledge.create_text(
                    s, assistant_id=a.id, title="Fee", content="Delivery in Lagos costs ₦2,000."
                )
                await knowledge.create_text(
                    s, assistant_id=a.id, title="Fee 2", content="Delivery in Lagos is ₦2,500."
                )
            return a.id
        finally:
            await db.dispose()

    async def state(assistant_id: str) -> tuple[str, int, int, int]:
        db = Database(settings.resolved_database_url)
        try:
            async with db.session() as s:
                st = await s.get(KnowledgeIndex, assistant_id)
                assert st is not None
                embedded = await s.scalar(select(func.count(IndexChunk.embedding)))
                return st.status, st.indexed_version, len(st.contradictions), int(embedded or 0)
        finally:
            await db.dispose()

    assistant_id = run_sync(setup())
    assert run_sync(state(assistant_id))[:2] == ("indexing", 0)
    assert main(["knowledge", "reindex", "--assistant", assistant_id]) == 0
    out = capsys.readouterr().out
    assert f"{assistant_id}: indexed" in out and "1 contradiction(s)" in out
    status, indexed, flags, embedded = run_sync(state(assistant_id))
    assert status == "ready" and indexed == 3 and flags == 1
    from repdesk.knowledge import embeddings

    assert embedded == (3 if embeddings.available() else 0)
    assert main(["knowledge", "reindex", "--assistant", "nope"]) == 1
