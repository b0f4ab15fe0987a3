"""``repdesk knowledge reindex``: bring retrieval indexes up to date in the foreground (after
switching the embedding model, or to embed a large import without waiting for the worker)."""

from __future__ import annotations

import argparse
import asyncio
import time

from repdesk.cli import command
from repdesk.config import Settings


def _args(p: argparse.ArgumentParser) -> None:
    p.add_argument("action", choices=["reindex"])
    p.add_argument(
        "--assistant", action="append", default=[], help="assistant id (repeatable); default: all"
    )


@command("knowledge", "knowledge index: `repdesk knowledge reindex [--assistant ID]`", _args)
def knowledge_cmd(args: argparse.Namespace, settings: Settings) -> int:
    from sqlalchemy import select

    from repdesk.assistants.models import Assistant
    from repdesk.cli import _upgrade
    from repdesk.db.engine import Database
    from repdesk.knowledge import retrieval
    from repdesk.knowledge.models import KnowledgeIndex
    from repdesk.knowledge.tasks import reindex_now

    _upgrade(settings)

    async def main() -> int:
        db = Database(settings.resolved_database_url)
        try:
            async with db.session() as session:
                stmt = select(Assistant.id).order_by(Assistant.id)
                if args.assistant:
                    stmt = stmt.where(Assistant.id.in_(args.assistant))
                ids = list((await session.scalars(stmt)).all())
            missing = set(args.assistant) - set(ids)
            if missing:
                print(f"no such assistant: {', '.join(sorted(missing))}")
                return 1
            print(f"embeddings: {'on' if retrieval.embeddings_enabled() else 'off (BM25 only)'}")
            for assistant_id in ids:
                started = time.monotonic()
                async with db.session() as session:
                    await reindex_now(session, assistant_id, time_slice=1e9, force=True)
                    await session.commit()
                    status = await session.get(KnowledgeIndex, assistant_id)
                    flags = len(status.contradictions) if status else 0
                took = time.monotonic() - started
                print(f"{assistant_id}: indexed in {took:.1f}s, {flags} contradiction(s)")
            return 0
        finally:
            await db.dispose()

    return asyncio.run(main())
