"""``knowledge.reindex``: after any change, embed the chunks that have no embedding yet and
re-check the knowledge for contradictions, then mark the version indexed.

Safe to run twice: it only fills what is missing and records the version it saw at the start.
Long work is done in batches, each committed, so a worker's lease never runs out on a large
document; when its time slice is spent it queues its own continuation.
"""

from __future__ import annotations

import asyncio
import logging
import time
from functools import partial
from typing import Any

from sqlalchemy import case, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from repdesk.db.engine import commit, commit_then, rollback
from repdesk.jobs.registry import current_attempt, task
from repdesk.jobs.service import enqueue
from repdesk.kit.errors import NotFound
from repdesk.kit.money import format_money
from repdesk.kit.time import utcnow
from repdesk.knowledge import backends, contradictions, embeddings
from repdesk.knowledge.models import IndexChunk, KnowledgeIndex
from repdesk.knowledge.retrieval import embedding_input
from repdesk.knowledge.schemas import ExtractDocumentJob, ReindexJob

log = logging.getLogger("repdesk.knowledge.tasks")

# Small batches and a short slice: a batch takes seconds on a busy 2-core machine, and the
# job must finish well inside the worker's lease (60 s by default).
BATCH = 32
TIME_SLICE_SECONDS = 15.0


async def embed_missing(session: AsyncSession, assistant_id: str, *, deadline: float) -> bool:
    """Fill missing embeddings until done (True) or the deadline passes (False)."""
    backend = backends.get_backend()
    if backend is None:
        return True
    model = backend.model
    while True:
        rows = (
            await session.execute(
                select(IndexChunk.id, IndexChunk.title, IndexChunk.text, IndexChunk.content_hash)
                .where(
                    IndexChunk.assistant_id == assistant_id,
                    or_(IndexChunk.embedding.is_(None), IndexChunk.embedding_model != model),
                )
                .limit(BATCH)
            )
        ).all()
        if not rows:
            return True
        # No transaction held open across the (maybe remote) call.
        texts = [embedding_input(r.title, r.text) for r in rows]
        vectors = await commit_then(session, partial(backend.embed, texts))
        for row, vector in zip(rows, vectors, strict=True):
            await session.execute(
                update(IndexChunk)
                .where(IndexChunk.id == row.id, IndexChunk.content_hash == row.content_hash)
                .values(embedding=embeddings.to_bytes(vector), embedding_model=model)
                .execution_options(synchronize_session=False)
            )
        await commit(session)  # each batch is kept even if a later one fails
        if time.monotonic() > deadline:
            return False


async def find_contradictions(session: AsyncSession, assistant_id: str) -> list[dict[str, Any]]:
    rows = (
        await session.execute(
            select(
                IndexChunk.kind,
                IndexChunk.source_id,
                IndexChunk.title,
                IndexChunk.text,
                IndexChunk.meta,
            )
            .where(IndexChunk.assistant_id == assistant_id)
            .order_by(IndexChunk.source_id, IndexChunk.position)
        )
    ).all()
    await commit(session)  # no transaction (on SQLite: the write lock) across the comparison
    statements = []
    for r in rows:
        if r.kind == "product":
            # The catalog's prices, as one statement per product: "<name> costs ₦X, ₦Y".
            meta = r.meta or {}
            currency = str(meta.get("currency", "NGN"))
            prices = {int(meta.get("price", 0))} | {
                int(v["price"]) for v in meta.get("variants", []) if v.get("price") is not None
            }
            text = f"{r.title} costs " + " ".join(format_money(p, currency) for p in sorted(prices))
            statements.append(contradictions.Statement(r.source_id, "product", r.title, text))
        else:
            statements.append(contradictions.Statement(r.source_id, r.kind, r.title, r.text))
    # Subjects are compared with the local model when it is the backend (a remote provider
    # would be a network call per re-index; the lexical comparison is the main signal anyway).
    backend = backends.get_backend()
    embed = backend.encoder.encode if isinstance(backend, backends.LocalBackend) else None
    return await asyncio.to_thread(contradictions.find, statements, embed=embed)


async def reindex_now(
    session: AsyncSession,
    assistant_id: str,
    *,
    time_slice: float | None = None,
    force: bool = False,
) -> bool:
    """Bring the assistant's index up to date. Returns False when it stopped for time (a
    continuation job was queued). Used by the job, the demo loader and the benchmark."""
    state = await session.get(KnowledgeIndex, assistant_id)
    if state is None:
        return True
    target = state.version
    if state.indexed_version >= target and state.status == "ready" and not force:
        return True
    deadline = time.monotonic() + (TIME_SLICE_SECONDS if time_slice is None else time_slice)
    if not await embed_missing(session, assistant_id, deadline=deadline):
        await enqueue(session, ReindexJob(assistant_id=assistant_id))
        return False
    found = await find_contradictions(session, assistant_id)
    await session.execute(
        update(KnowledgeIndex)
        .where(KnowledgeIndex.assistant_id == assistant_id)
        .values(
            indexed_version=target,
            status=case((KnowledgeIndex.version <= target, "ready"), else_="indexing"),
            last_error=None,
            indexed_at=utcnow(),
            contradictions=found,
        )
        .execution_options(synchronize_session=False)
    )
    return True


@task(ReindexJob, max_attempts=4, backoff_base=5.0)
async def reindex(session: AsyncSession, job: ReindexJob) -> None:
    assistant_id = job.assistant_id
    try:
        await reindex_now(session, assistant_id)
    except Exception as exc:
        attempt = current_attempt.get()
        if attempt is None or attempt[0] < attempt[1]:
            raise
        log.exception("re-indexing assistant %s failed for good", assistant_id)
        await rollback(session)
        await session.execute(
            update(KnowledgeIndex)
            .where(KnowledgeIndex.assistant_id == assistant_id)
            .values(status="failed", last_error=f"{type(exc).__name__}: {exc}"[:500])
            .execution_options(synchronize_session=False)
        )


async def extract_now(session: AsyncSession, item_id: str) -> None:
    """Read an uploaded document's text and index it, or mark it failed with the reason.

    The reading happens with no transaction open (on SQLite every transaction holds the write
    lock): what it needs is read first and that transaction committed; the result is written
    in a short transaction of its own."""
    from repdesk.files import service as files
    from repdesk.knowledge import documents, reader, service
    from repdesk.knowledge.models import KnowledgeItem

    item = await session.get(KnowledgeItem, item_id)
    if item is None or item.status != "processing":
        return
    stored = await files.get(session, item.file_id) if item.file_id else None
    await commit(session)
    if stored is None:
        await service.document_failed(
            session, item_id=item_id, code="INVALID_DOCUMENT", reason="The upload is missing."
        )
        return
    try:
        data = await files.read(stored)
    except NotFound:
        await service.document_failed(
            session, item_id=item_id, code="INVALID_DOCUMENT", reason="The upload is missing."
        )
        return
    try:
        extracted = await documents.extract(stored.mime_type, data)
    except reader.Refused as exc:
        log.info("document %s refused: %s", item_id, exc.code)
        await service.document_failed(session, item_id=item_id, code=exc.code, reason=exc.message)
        return
    await service.document_read(
        session, item_id=item_id, text=extracted.text, notice=extracted.notice
    )


@task(ExtractDocumentJob, max_attempts=3, backoff_base=5.0)
async def extract(session: AsyncSession, job: ExtractDocumentJob) -> None:
    item_id = job.item_id
    try:
        await extract_now(session, item_id)
    except Exception:
        attempt = current_attempt.get()
        if attempt is None or attempt[0] < attempt[1]:
            raise
        log.exception("reading document %s failed for good", item_id)
        from repdesk.knowledge import service

        await rollback(session)
        await service.document_failed(
            session,
            item_id=item_id,
            code="INVALID_DOCUMENT",
            reason="The document could not be read.",
        )
