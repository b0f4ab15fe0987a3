"""/api/assistants/{id}/knowledge and /faqs: what the owner teaches the assistant."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, File, Form, Query, Response, UploadFile
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from repdesk.assistants import service as assistants
from repdesk.assistants.deps import AssistantDep
from repdesk.assistants.models import Assistant
from repdesk.kit.errors import ValidationError
from repdesk.kit.pagination import page
from repdesk.kit.web import PrincipalDep, SessionDep
from repdesk.knowledge import backends, index, retrieval, service
from repdesk.knowledge.config import get_knowledge_settings
from repdesk.knowledge.models import Faq, IndexChunk, KnowledgeItem
from repdesk.knowledge.schemas import (
    ContradictionRead,
    FaqCreate,
    FaqPasteCreate,
    FaqRead,
    FaqUpdate,
    IndexStatusRead,
    KnowledgeCreate,
    KnowledgeItemRead,
    KnowledgeUpdate,
    QaCreate,
    QaPairRead,
    SearchHitRead,
    SearchRead,
    TextCreate,
)
from repdesk.knowledge.text import split_faq

router = APIRouter(prefix="/api/assistants/{assistant_id}", tags=["knowledge"])


LIST_CONTENT_CHARS = 2000


def item_read(item: KnowledgeItem, chunks: int = 0, *, preview: bool = False) -> KnowledgeItemRead:
    """``preview``: lists carry the first LIST_CONTENT_CHARS characters of a long document
    (``contentTruncated``); GET one item for the whole text."""
    content = item.content
    truncated = preview and len(content) > LIST_CONTENT_CHARS
    if truncated:
        content = content[:LIST_CONTENT_CHARS]
    pairs = (
        [QaPairRead(question=p.question, answer=p.answer) for p in split_faq(item.content)]
        if item.kind == "faq_paste"
        else []
    )
    return KnowledgeItemRead(
        id=item.id,
        assistant_id=item.assistant_id,
        type=item.kind,
        title=item.title,
        content=content,
        content_truncated=truncated,
        content_length=len(item.content),
        question=item.question,
        answer=item.answer,
        pairs=pairs,
        file_id=item.file_id,
        filename=item.filename,
        status=item.status,
        status_detail=item.status_detail,
        error_code=item.error_code,
        chunks=chunks,
        created_at=item.created_at,
        updated_at=item.updated_at,
    )


def faq_read(faq: Faq) -> FaqRead:
    return FaqRead(
        id=faq.id,
        assistant_id=faq.assistant_id,
        question=faq.question,
        answer=faq.answer,
        category=faq.category,
        kind=service.faq_kind(faq.category),
        created_at=faq.created_at,
        updated_at=faq.updated_at,
    )


async def _items_page(
    session: AsyncSession,
    assistant_id: str,
    kinds: tuple[str, ...] | None,
    limit: int | None,
    cursor: str | None,
) -> dict[str, Any]:
    rows, has_more, nxt = await service.list_items(
        session, assistant_id=assistant_id, kinds=kinds, limit=limit, cursor=cursor
    )
    counts = await service.chunk_counts(
        session, assistant_id=assistant_id, source_ids=[r.id for r in rows]
    )
    data = [
        item_read(r, counts.get(r.id, 0), preview=True).model_dump(by_alias=True, mode="json")
        for r in rows
    ]
    return page(data, has_more, nxt)


async def index_status(session: AsyncSession, assistant_id: str) -> IndexStatusRead:
    state = await index.get_state(session, assistant_id)
    total, embedded = (
        await session.execute(
            select(func.count(), func.count(IndexChunk.embedding)).where(
                IndexChunk.assistant_id == assistant_id
            )
        )
    ).one()
    enabled = retrieval.embeddings_enabled()
    processing = await service.processing_count(session, assistant_id=assistant_id)
    status = state.status if state else "ready"
    return IndexStatusRead(
        # documents still being read are indexed once read: the index is not up to date yet
        status="indexing" if processing and status == "ready" else status,
        processing_documents=processing,
        version=state.version if state else 0,
        indexed_version=state.indexed_version if state else 0,
        indexed_at=state.indexed_at if state else None,
        last_error=state.last_error if state else None,
        chunks=int(total or 0),
        embedded_chunks=int(embedded or 0),
        embeddings=enabled,
        retrieval="hybrid" if enabled else "bm25",
        embedding_model=backends.configured_model() if enabled else None,
        contradictions=[
            ContradictionRead.model_validate(c) for c in (state.contradictions if state else [])
        ],
    )


# Knowledge items -----------------------------------------------------------------------------


@router.post("/knowledge", status_code=201, response_model=KnowledgeItemRead)
async def create_knowledge(
    assistant: AssistantDep,
    body: Annotated[KnowledgeCreate, Body()],
    session: SessionDep,
) -> KnowledgeItemRead:
    """Teach the assistant: ``{"type":"text","title","content"}``, ``{"type":"qa","question",
    "answer"}`` or ``{"type":"faq_paste","content"}`` (pasted website FAQ content, split into
    question/answer pairs where it has that shape). Re-indexing runs in the background."""
    if isinstance(body, TextCreate):
        item = await service.create_text(
            session, assistant_id=assistant.id, title=body.title, content=body.content
        )
    elif isinstance(body, QaCreate):
        item = await service.create_qa(
            session, assistant_id=assistant.id, question=body.question, answer=body.answer
        )
    else:
        assert isinstance(body, FaqPasteCreate)
        item = await service.create_faq_paste(
            session, assistant_id=assistant.id, content=body.content, title=body.title
        )
    counts = await service.chunk_counts(session, assistant_id=assistant.id, source_ids=[item.id])
    return item_read(item, counts.get(item.id, 0))


@router.get("/knowledge")
async def list_knowledge(
    assistant: AssistantDep,
    session: SessionDep,
    type: str | None = Query(default=None, description="text | qa | faq_paste | file"),
    limit: int | None = Query(default=None),
    cursor: str | None = Query(default=None, max_length=64),
) -> dict[str, Any]:
    """The assistant's knowledge items, newest first, cursor-paginated."""
    if type is not None and type not in service.ITEM_KINDS:
        raise ValidationError(f"type: must be one of {', '.join(service.ITEM_KINDS)}")
    return await _items_page(session, assistant.id, (type,) if type else None, limit, cursor)


@router.get("/knowledge/status", response_model=IndexStatusRead)
async def knowledge_status(
    assistant: AssistantDep, session: SessionDep, principal: PrincipalDep
) -> IndexStatusRead:
    """Indexing state, whether embeddings are on (without them answers are weaker), and
    knowledge that contradicts itself (different prices, fees or hours for the same thing)."""
    return await index_status(session, assistant.id)


@router.get("/knowledge/search", response_model=SearchRead)
async def search_knowledge(
    assistant: AssistantDep,
    session: SessionDep,
    q: str = Query(min_length=1, max_length=2000),
    k: int = Query(default=5, ge=1, le=50),
    kinds: str | None = Query(
        default=None, description="comma-separated: faq,policy,knowledge,product"
    ),
) -> SearchRead:
    """What the assistant would retrieve for a customer's message (FAQs and policies first)."""
    wanted = {x.strip() for x in kinds.split(",") if x.strip()} if kinds else None
    if wanted and not wanted <= retrieval.KINDS:
        raise ValidationError("kinds: use faq, policy, knowledge and product")
    hits = await retrieval.search(session, assistant_id=assistant.id, query=q, k=k, kinds=wanted)
    return SearchRead(data=[SearchHitRead.model_validate(h, from_attributes=True) for h in hits])


@router.post("/knowledge/files", status_code=201, response_model=KnowledgeItemRead)
async def upload_knowledge_file(
    assistant: AssistantDep,
    session: SessionDep,
    principal: PrincipalDep,
    file: Annotated[UploadFile, File(description="PDF, DOCX or TXT")],
    title: Annotated[str, Form(max_length=200)] = "",
) -> KnowledgeItemRead:
    """Upload a document (PDF, DOCX, TXT; size limit ``REPDESK_KNOWLEDGE_MAX_UPLOAD_MB``). It is
    stored and answered at once with ``status: processing``; its text is read in the
    background, after which GET shows ``ready`` (indexed) or ``failed`` with the reason in
    ``statusDetail`` (corrupt, password-protected, no text, too large, a zip bomb). An empty
    file or a type other than PDF, DOCX and TXT gets a 400/415 and nothing is stored."""
    limit = get_knowledge_settings().knowledge_max_upload_mb * 1024 * 1024
    data = await file.read(limit + 1)
    item = await service.create_file(
        session,
        workspace_id=principal.workspace.id,
        assistant_id=assistant.id,
        filename=file.filename or "",
        data=data,
        title=title,
    )
    counts = await service.chunk_counts(session, assistant_id=assistant.id, source_ids=[item.id])
    return item_read(item, counts.get(item.id, 0))


@router.get("/knowledge/files")
async def list_knowledge_files(
    assistant: AssistantDep,
    session: SessionDep,
    limit: int | None = Query(default=None),
    cursor: str | None = Query(default=None, max_length=64),
) -> dict[str, Any]:
    """Uploaded documents, newest first."""
    return await _items_page(session, assistant.id, ("file",), limit, cursor)


async def _file_item(session: AsyncSession, assistant_id: str, item_id: str) -> KnowledgeItem:
    item = await service.get_item_or_404(session, assistant_id=assistant_id, item_id=item_id)
    if item.kind != "file":
        from repdesk.kit.errors import NotFound

        raise NotFound("Knowledge file not found.")
    return item


@router.get("/knowledge/files/{item_id}", response_model=KnowledgeItemRead)
async def get_knowledge_file(
    assistant: AssistantDep, item_id: str, session: SessionDep, principal: PrincipalDep
) -> KnowledgeItemRead:
    item = await _file_item(session, assistant.id, item_id)
    counts = await service.chunk_counts(session, assistant_id=assistant.id, source_ids=[item.id])
    return item_read(item, counts.get(item.id, 0))


@router.delete("/knowledge/files/{item_id}", status_code=204)
async def delete_knowledge_file(
    assistant: AssistantDep, item_id: str, session: SessionDep, principal: PrincipalDep
) -> Response:
    item = await _file_item(session, assistant.id, item_id)
    await service.delete_item(session, item)
    return Response(status_code=204)


@router.get("/knowledge/{item_id}", response_model=KnowledgeItemRead)
async def get_knowledge(
    assistant: AssistantDep, item_id: str, session: SessionDep, principal: PrincipalDep
) -> KnowledgeItemRead:
    item = await service.get_item_or_404(session, assistant_id=assistant.id, item_id=item_id)
    counts = await service.chunk_counts(session, assistant_id=assistant.id, source_ids=[item.id])
    return item_read(item, counts.get(item.id, 0))


@router.patch("/knowledge/{item_id}", response_model=KnowledgeItemRead)
async def update_knowledge(
    assistant: AssistantDep,
    item_id: str,
    body: KnowledgeUpdate,
    session: SessionDep,
) -> KnowledgeItemRead:
    """Edit an item (title/content, or question/answer for a Q&A pair); it is re-indexed."""
    item = await service.get_item_or_404(session, assistant_id=assistant.id, item_id=item_id)
    await service.update_item(
        session,
        item,
        title=body.title,
        content=body.content,
        question=body.question,
        answer=body.answer,
    )
    counts = await service.chunk_counts(session, assistant_id=assistant.id, source_ids=[item.id])
    return item_read(item, counts.get(item.id, 0))


@router.delete("/knowledge/{item_id}", status_code=204)
async def delete_knowledge(
    assistant: AssistantDep, item_id: str, session: SessionDep, principal: PrincipalDep
) -> Response:
    item = await service.get_item_or_404(session, assistant_id=assistant.id, item_id=item_id)
    await service.delete_item(session, item)
    return Response(status_code=204)


# FAQs and policies ---------------------------------------------------------------------------


@router.post("/faqs", status_code=201, response_model=FaqRead)
async def create_faq(
    assistant: AssistantDep, body: FaqCreate, session: SessionDep, principal: PrincipalDep
) -> FaqRead:
    """A FAQ (category ``general``) or a policy (``shipping``, ``returns``, ``hours``,
    ``payment``, ``other``). FAQs and policies are matched before the knowledge base."""
    faq = await service.create_faq(
        session,
        assistant_id=assistant.id,
        question=body.question,
        answer=body.answer,
        category=body.category,
    )
    return faq_read(faq)


@router.get("/faqs")
async def list_faqs(
    assistant: AssistantDep,
    session: SessionDep,
    category: str | None = Query(default=None),
) -> dict[str, Any]:
    """All FAQs and policies, oldest first (the order the owner wrote them)."""
    rows = await service.list_faqs(session, assistant_id=assistant.id, category=category)
    return page([faq_read(f).model_dump(by_alias=True, mode="json") for f in rows], False, None)


@router.get("/faqs/{faq_id}", response_model=FaqRead)
async def get_faq(
    assistant: AssistantDep, faq_id: str, session: SessionDep, principal: PrincipalDep
) -> FaqRead:
    return faq_read(await service.get_faq_or_404(session, assistant_id=assistant.id, faq_id=faq_id))


@router.patch("/faqs/{faq_id}", response_model=FaqRead)
async def update_faq(
    assistant: AssistantDep,
    faq_id: str,
    body: FaqUpdate,
    session: SessionDep,
    principal: PrincipalDep,
) -> FaqRead:
    faq = await service.get_faq_or_404(session, assistant_id=assistant.id, faq_id=faq_id)
    await service.update_faq(
        session, faq, question=body.question, answer=body.answer, category=body.category
    )
    return faq_read(faq)


@router.delete("/faqs/{faq_id}", status_code=204)
async def delete_faq(
    assistant: AssistantDep, faq_id: str, session: SessionDep, principal: PrincipalDep
) -> Response:
    faq = await service.get_faq_or_404(session, assistant_id=assistant.id, faq_id=faq_id)
    await service.delete_faq(session, faq)
    return Response(status_code=204)


@assistants.on_delete
async def _forget_index(session: AsyncSession, assistant: Assistant) -> None:
    # Rows go with the assistant's foreign-key cascade; this process's cache goes here (other
    # processes never see the assistant again, and their cached entry ages out of the LRU).
    retrieval.forget(assistant.id)
