"""The write side of the retrieval index: every service that changes searchable content
(knowledge, FAQs, products) replaces that source's chunks here, in its own transaction.

Each change bumps the assistant's ``version`` (read by every process's in-memory cache, so
several web and worker processes stay correct) and enqueues ``knowledge.reindex``, which
computes the missing embeddings and re-checks the knowledge for contradictions.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from repdesk.jobs.service import enqueue
from repdesk.knowledge.models import IndexChunk, KnowledgeIndex
from repdesk.knowledge.schemas import ReindexJob
from repdesk.knowledge.text import content_hash

KINDS = frozenset({"faq", "policy", "knowledge", "product"})


@dataclass(frozen=True)
class ChunkInput:
    title: str
    text: str
    meta: dict[str, Any] = field(default_factory=dict)


async def get_state(session: AsyncSession, assistant_id: str) -> KnowledgeIndex | None:
    return await session.get(KnowledgeIndex, assistant_id)


async def _ensure_state(session: AsyncSession, assistant_id: str) -> None:
    if await session.scalar(
        select(KnowledgeIndex.assistant_id).where(KnowledgeIndex.assistant_id == assistant_id)
    ):
        return
    try:
        async with session.begin_nested():
            session.add(
                KnowledgeIndex(
                    assistant_id=assistant_id,
                    version=0,
                    indexed_version=0,
                    status="ready",
                    contradictions=[],
                )
            )
    except Exception:  # another transaction created it first
        if not await session.scalar(
            select(KnowledgeIndex.assistant_id).where(KnowledgeIndex.assistant_id == assistant_id)
        ):
            raise


async def mark_changed(session: AsyncSession, assistant_id: str) -> None:
    """Bump the version (atomically, in SQL) and schedule the background re-index."""
    await _ensure_state(session, assistant_id)
    await session.execute(
        update(KnowledgeIndex)
        .where(KnowledgeIndex.assistant_id == assistant_id)
        .values(version=KnowledgeIndex.version + 1, status="indexing")
    )
    # One job per transaction and assistant (a CSV import of 500 products enqueues one). No
    # dedupe across transactions: a change committed while a re-index runs must get its own.
    key = (id(session.sync_session.get_transaction()), assistant_id)
    pending: set[tuple[int, str]] = session.info.setdefault("knowledge_reindex_queued", set())
    if key not in pending:
        pending.add(key)
        await enqueue(session, ReindexJob(assistant_id=assistant_id))


async def replace_source(
    session: AsyncSession,
    *,
    assistant_id: str,
    kind: str,
    source_id: str,
    chunks: list[ChunkInput],
) -> None:
    """Make ``chunks`` the searchable content of one source (a knowledge item, FAQ or product),
    keeping the cached embedding of every chunk whose text did not change."""
    if kind not in KINDS:
        raise ValueError(f"unknown index kind {kind!r}")
    old = (
        await session.execute(
            select(IndexChunk.content_hash, IndexChunk.embedding, IndexChunk.embedding_model).where(
                IndexChunk.assistant_id == assistant_id, IndexChunk.source_id == source_id
            )
        )
    ).all()
    cached = {h: (emb, model) for h, emb, model in old if emb is not None}
    await session.execute(
        delete(IndexChunk).where(
            IndexChunk.assistant_id == assistant_id, IndexChunk.source_id == source_id
        )
    )
    for position, chunk in enumerate(chunks):
        digest = content_hash(chunk.title, chunk.text)
        emb, model = cached.get(digest, (None, None))
        session.add(
            IndexChunk(
                assistant_id=assistant_id,
                kind=kind,
                source_id=source_id,
                position=position,
                title=chunk.title[:300],
                text=chunk.text,
                content_hash=digest,
                meta=chunk.meta,
                embedding=emb,
                embedding_model=model,
            )
        )
    await session.flush()
    await mark_changed(session, assistant_id)


async def remove_source(session: AsyncSession, *, assistant_id: str, source_id: str) -> None:
    await session.execute(
        delete(IndexChunk).where(
            IndexChunk.assistant_id == assistant_id, IndexChunk.source_id == source_id
        )
    )
    await mark_changed(session, assistant_id)
