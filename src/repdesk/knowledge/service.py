"""Knowledge items and FAQs/policies: the only writer of ``knowledge_items`` and ``faqs``.
Every change replaces the item's chunks in the retrieval index (``knowledge.index``)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from repdesk.files import service as files
from repdesk.jobs.service import enqueue
from repdesk.kit.errors import AppError, Conflict, NotFound, ValidationError
from repdesk.kit.pagination import paginate
from repdesk.kit.time import utcnow
from repdesk.knowledge import documents, index
from repdesk.knowledge.chunking import units
from repdesk.knowledge.config import get_knowledge_settings
from repdesk.knowledge.models import Faq, IndexChunk, KnowledgeItem
from repdesk.knowledge.schemas import ExtractDocumentJob
from repdesk.knowledge.text import chunk_text, split_faq

ITEM_KINDS = ("text", "qa", "faq_paste", "file")
FAQ_CATEGORIES = ("general", "shipping", "returns", "hours", "payment", "other")
POLICY_CATEGORIES = frozenset(FAQ_CATEGORIES) - {"general"}
MAX_CONTENT = 200_000
MAX_ITEMS = 2000


class FileTooLargeError(AppError):
    status = 413
    code = "FILE_TOO_LARGE"


def _check_text(
    field: str, value: str, *, max_len: int = MAX_CONTENT, required: bool = True
) -> str:
    value = (value or "").strip()
    if required and not value:
        raise ValidationError(f"{field}: must not be empty")
    if len(value) > max_len:
        raise ValidationError(f"{field}: must be at most {max_len} characters")
    return value


def _title_from(content: str, fallback: str) -> str:
    first = next((ln.strip() for ln in content.splitlines() if ln.strip()), "")
    return (first[:80] + "…") if len(first) > 80 else (first or fallback)


def item_chunks(item: KnowledgeItem) -> list[index.ChunkInput]:
    meta: dict[str, Any] = {"itemKind": item.kind}
    if item.kind == "qa":
        q, a = item.question or "", item.answer or ""
        return [index.ChunkInput(q, f"{q}\n{a}", {**meta, "question": q, "answer": a})]
    if item.kind == "faq_paste":
        pairs = split_faq(item.content)
        if pairs:
            return [
                index.ChunkInput(
                    p.question,
                    f"{p.question}\n{p.answer}",
                    {**meta, "question": p.question, "answer": p.answer},
                )
                for p in pairs
            ]
    if item.filename:
        meta["filename"] = item.filename
    # One chunk per sentence, list item or table row, with the heading it sits under.
    found = units(item.content)
    if found:
        return [index.ChunkInput(item.title, u.text, {**meta, "context": u.context}) for u in found]
    return [index.ChunkInput(item.title, text, meta) for text in chunk_text(item.content)]


async def _reindex_item(session: AsyncSession, item: KnowledgeItem) -> None:
    await index.replace_source(
        session,
        assistant_id=item.assistant_id,
        kind="knowledge",
        source_id=item.id,
        chunks=item_chunks(item),
    )


async def _check_item_limit(session: AsyncSession, assistant_id: str) -> None:
    n = await session.scalar(
        select(func.count())
        .select_from(KnowledgeItem)
        .where(KnowledgeItem.assistant_id == assistant_id)
    )
    if int(n or 0) >= MAX_ITEMS:
        raise ValidationError(f"An assistant can have up to {MAX_ITEMS} knowledge items.")


async def create_text(
    session: AsyncSession, *, assistant_id: str, title: str, content: str
) -> KnowledgeItem:
    content = _check_text("content", content)
    title = _check_text("title", title, max_len=200, required=False) or _title_from(content, "Text")
    await _check_item_limit(session, assistant_id)
    item = KnowledgeItem(
        assistant_id=assistant_id, kind="text", title=title, content=content, updated_at=utcnow()
    )
    session.add(item)
    await session.flush()
    await _reindex_item(session, item)
    return item


async def create_qa(
    session: AsyncSession, *, assistant_id: str, question: str, answer: str
) -> KnowledgeItem:
    question = _check_text("question", question, max_len=2000)
    answer = _check_text("answer", answer, max_len=20000)
    await _check_item_limit(session, assistant_id)
    item = KnowledgeItem(
        assistant_id=assistant_id,
        kind="qa",
        title=question[:200],
        content="",
        question=question,
        answer=answer,
        updated_at=utcnow(),
    )
    session.add(item)
    await session.flush()
    await _reindex_item(session, item)
    return item


async def create_faq_paste(
    session: AsyncSession, *, assistant_id: str, content: str, title: str = ""
) -> KnowledgeItem:
    """Pasted website FAQ content: indexed as question/answer pairs when it has that shape,
    as plain text otherwise."""
    content = _check_text("content", content)
    await _check_item_limit(session, assistant_id)
    pairs = split_faq(content)
    default = (
        f"Pasted FAQ ({len(pairs)} questions)" if pairs else _title_from(content, "Pasted FAQ")
    )
    item = KnowledgeItem(
        assistant_id=assistant_id,
        kind="faq_paste",
        content=content,
        title=_check_text("title", title, max_len=200, required=False) or default,
        updated_at=utcnow(),
    )
    session.add(item)
    await session.flush()
    await _reindex_item(session, item)
    return item


async def create_file(
    session: AsyncSession,
    *,
    workspace_id: str,
    assistant_id: str,
    filename: str,
    data: bytes,
    title: str = "",
) -> KnowledgeItem:
    """A PDF, DOCX or TXT document, stored and answered at once as ``processing``; the
    ``knowledge.extract`` job reads its text (outside any transaction, within bounds) and makes
    it ``ready`` or ``failed`` with the reason. Only what the first bytes tell (empty, too
    large, not a document type we read) is refused here, with nothing stored."""
    limit = get_knowledge_settings().knowledge_max_upload_mb * 1024 * 1024
    if len(data) > limit:
        raise FileTooLargeError(f"The file is larger than {limit // (1024 * 1024)} MB.")
    if not data:
        raise ValidationError("The file is empty.", code="EMPTY_DOCUMENT")
    mime = documents.detect(filename, data)
    title = _check_text("title", title, max_len=200, required=False)
    await _check_item_limit(session, assistant_id)
    stored = await files.save(
        session,
        workspace_id=workspace_id,
        data=data,
        mime_type=mime,
        filename=filename,
        assistant_id=assistant_id,
        purpose="knowledge",
    )
    item = KnowledgeItem(
        assistant_id=assistant_id,
        kind="file",
        content="",
        file_id=stored.id,
        filename=stored.filename or None,
        title=title or (stored.filename or "Document"),
        status="processing",
        updated_at=utcnow(),
    )
    session.add(item)
    await session.flush()
    await enqueue(session, ExtractDocumentJob(item_id=item.id))
    return item


async def document_read(
    session: AsyncSession, *, item_id: str, text: str, notice: str = ""
) -> KnowledgeItem | None:
    """The ``knowledge.extract`` job's result: the document's text, indexed. None if the item
    went (deleted while it was read) or is no longer processing."""
    item = await session.get(KnowledgeItem, item_id, populate_existing=True, with_for_update=True)
    if item is None or item.status != "processing":
        return None
    item.content = text
    item.status = "ready"
    item.status_detail = notice or None
    item.error_code = None
    item.updated_at = utcnow()
    await session.flush()
    await _reindex_item(session, item)
    return item


async def document_failed(
    session: AsyncSession, *, item_id: str, code: str, reason: str
) -> KnowledgeItem | None:
    """The document could not be learnt from: it stays listed as ``failed: <reason>`` (its
    upload can be downloaded or deleted) and adds nothing to the index."""
    item = await session.get(KnowledgeItem, item_id, populate_existing=True, with_for_update=True)
    if item is None or item.status != "processing":
        return None
    item.status = "failed"
    item.status_detail = reason[:1000]
    item.error_code = code[:40]
    item.updated_at = utcnow()
    await session.flush()
    return item


async def processing_count(session: AsyncSession, *, assistant_id: str) -> int:
    n = await session.scalar(
        select(func.count())
        .select_from(KnowledgeItem)
        .where(KnowledgeItem.assistant_id == assistant_id, KnowledgeItem.status == "processing")
    )
    return int(n or 0)


async def get_item(
    session: AsyncSession, *, assistant_id: str, item_id: str
) -> KnowledgeItem | None:
    return await session.scalar(
        select(KnowledgeItem).where(
            KnowledgeItem.id == item_id, KnowledgeItem.assistant_id == assistant_id
        )
    )


async def get_item_or_404(
    session: AsyncSession, *, assistant_id: str, item_id: str
) -> KnowledgeItem:
    item = await get_item(session, assistant_id=assistant_id, item_id=item_id)
    if item is None:
        raise NotFound("Knowledge item not found.")
    return item


async def list_items(
    session: AsyncSession,
    *,
    assistant_id: str,
    kinds: tuple[str, ...] | None = None,
    limit: int | None = None,
    cursor: str | None = None,
) -> tuple[list[KnowledgeItem], bool, str | None]:
    stmt = select(KnowledgeItem).where(KnowledgeItem.assistant_id == assistant_id)
    if kinds:
        stmt = stmt.where(KnowledgeItem.kind.in_(kinds))
    rows, has_more, nxt = await paginate(
        session, stmt, id_column=KnowledgeItem.id, limit=limit, cursor=cursor
    )
    return list(rows), has_more, nxt


async def chunk_counts(
    session: AsyncSession, *, assistant_id: str, source_ids: list[str]
) -> dict[str, int]:
    if not source_ids:
        return {}
    rows = await session.execute(
        select(IndexChunk.source_id, func.count())
        .where(IndexChunk.assistant_id == assistant_id, IndexChunk.source_id.in_(source_ids))
        .group_by(IndexChunk.source_id)
    )
    return {sid: int(n) for sid, n in rows.all()}


async def update_item(
    session: AsyncSession,
    item: KnowledgeItem,
    *,
    title: str | None = None,
    content: str | None = None,
    question: str | None = None,
    answer: str | None = None,
) -> KnowledgeItem:
    if item.status == "processing":
        raise Conflict("The document is still being read; edit it once it is ready.")
    if item.kind == "qa":
        if content is not None:
            raise ValidationError("content: a Q&A pair has a question and an answer, not content")
        if question is not None:
            item.question = _check_text("question", question, max_len=2000)
            item.title = item.question[:200]
        if answer is not None:
            item.answer = _check_text("answer", answer, max_len=20000)
    else:
        if question is not None or answer is not None:
            raise ValidationError(
                "question/answer: only Q&A pairs have these; edit content instead"
            )
        if content is not None:
            item.content = _check_text("content", content)
        if title is not None:
            item.title = _check_text("title", title, max_len=200, required=False) or item.title
    item.updated_at = utcnow()
    await session.flush()
    await _reindex_item(session, item)
    return item


async def delete_item(session: AsyncSession, item: KnowledgeItem) -> None:
    """The item, its chunks in the index and, for a document, its upload (whose bytes the
    hourly ``files.collect`` removes once no other upload has the same content)."""
    assistant_id, item_id, file_id = item.assistant_id, item.id, item.file_id
    await session.delete(item)
    await session.flush()
    await index.remove_source(session, assistant_id=assistant_id, source_id=item_id)
    stored = await files.get(session, file_id) if file_id else None
    if stored is not None and stored.purpose == "knowledge":
        await files.discard(session, stored)


# FAQs and policies ---------------------------------------------------------------------------


def faq_kind(category: str) -> str:
    return "policy" if category in POLICY_CATEGORIES else "faq"


def _check_category(category: str | None) -> str:
    cat = (category or "general").strip().lower()
    if cat not in FAQ_CATEGORIES:
        raise ValidationError(f"category: must be one of {', '.join(FAQ_CATEGORIES)}")
    return cat


async def _reindex_faq(session: AsyncSession, faq: Faq) -> None:
    await index.replace_source(
        session,
        assistant_id=faq.assistant_id,
        kind=faq_kind(faq.category),
        source_id=faq.id,
        chunks=faq_chunks(faq.question, faq.answer, faq.category),
    )


def faq_chunks(question: str, answer: str, category: str) -> list[index.ChunkInput]:
    """The FAQ or policy whole, then (for a longer answer) each of its sentences and lines
    under the question, so that a question about one part is answered with that part."""
    meta = {"question": question, "answer": answer, "category": category}
    chunks = [index.ChunkInput(question, f"{question}\n{answer}", meta)]
    parts = units(answer)
    if len(parts) > 1:
        chunks += [
            index.ChunkInput(
                question,
                f"{question}\n{u.text}",
                {**meta, "answer": u.text, "whole": answer, "unit": True, "context": u.context},
            )
            for u in parts
        ]
    return chunks


async def create_faq(
    session: AsyncSession,
    *,
    assistant_id: str,
    question: str,
    answer: str,
    category: str | None = None,
) -> Faq:
    faq = Faq(
        assistant_id=assistant_id,
        question=_check_text("question", question, max_len=2000),
        answer=_check_text("answer", answer, max_len=20000),
        category=_check_category(category),
        updated_at=utcnow(),
    )
    n = await session.scalar(
        select(func.count()).select_from(Faq).where(Faq.assistant_id == assistant_id)
    )
    if int(n or 0) >= MAX_ITEMS:
        raise ValidationError(f"An assistant can have up to {MAX_ITEMS} FAQs and policies.")
    session.add(faq)
    await session.flush()
    await _reindex_faq(session, faq)
    return faq


async def get_faq_or_404(session: AsyncSession, *, assistant_id: str, faq_id: str) -> Faq:
    faq = await session.scalar(
        select(Faq).where(Faq.id == faq_id, Faq.assistant_id == assistant_id)
    )
    if faq is None:
        raise NotFound("FAQ not found.")
    return faq


async def list_faqs(
    session: AsyncSession,
    *,
    assistant_id: str,
    category: str | None = None,
) -> list[Faq]:
    stmt = select(Faq).where(Faq.assistant_id == assistant_id)
    if category:
        stmt = stmt.where(Faq.category == _check_category(category))
    return list((await session.scalars(stmt.order_by(Faq.id))).all())


async def update_faq(
    session: AsyncSession,
    faq: Faq,
    *,
    question: str | None = None,
    answer: str | None = None,
    category: str | None = None,
) -> Faq:
    if question is not None:
        faq.question = _check_text("question", question, max_len=2000)
    if answer is not None:
        faq.answer = _check_text("answer", answer, max_len=20000)
    if category is not None:
        faq.category = _check_category(category)
    faq.updated_at = utcnow()
    await session.flush()
    await _reindex_faq(session, faq)
    return faq


async def delete_faq(session: AsyncSession, faq: Faq) -> None:
    assistant_id, faq_id = faq.assistant_id, faq.id
    await session.delete(faq)
    await session.flush()
    await index.remove_source(session, assistant_id=assistant_id, source_id=faq_id)
