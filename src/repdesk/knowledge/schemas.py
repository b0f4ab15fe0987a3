from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, ClassVar, Literal

from pydantic import Field

from repdesk.jobs.registry import JobPayload
from repdesk.kit.schemas import CamelModel, StrictCamelModel


class TextCreate(StrictCamelModel):
    type: Literal["text"]
    title: str = Field(default="", max_length=200)
    content: str = Field(min_length=1, max_length=200_000)


class QaCreate(StrictCamelModel):
    type: Literal["qa"]
    question: str = Field(min_length=1, max_length=2000)
    answer: str = Field(min_length=1, max_length=20_000)


class FaqPasteCreate(StrictCamelModel):
    type: Literal["faq_paste"]
    title: str = Field(default="", max_length=200)
    content: str = Field(min_length=1, max_length=200_000)


KnowledgeCreate = Annotated[TextCreate | QaCreate | FaqPasteCreate, Field(discriminator="type")]


class KnowledgeUpdate(StrictCamelModel):
    title: str | None = Field(default=None, max_length=200)
    content: str | None = Field(default=None, max_length=200_000)
    question: str | None = Field(default=None, max_length=2000)
    answer: str | None = Field(default=None, max_length=20_000)


class QaPairRead(CamelModel):
    question: str
    answer: str


class KnowledgeItemRead(CamelModel):
    id: str
    assistant_id: str
    type: str = Field(description="text | qa | faq_paste | file")
    title: str
    content: str
    content_truncated: bool = Field(
        default=False, description="In lists, long content is cut; GET the item for all of it"
    )
    content_length: int = 0
    question: str | None = None
    answer: str | None = None
    pairs: list[QaPairRead] = Field(
        default_factory=list, description="faq_paste: the Q/A pairs found"
    )
    file_id: str | None = None
    filename: str | None = None
    status: str = Field(
        default="ready",
        description="processing | ready | failed: a document is processing until its text is read",
    )
    status_detail: str | None = Field(
        default=None, description="failed: the plain reason; ready: a notice (pages not read)"
    )
    error_code: str | None = Field(
        default=None,
        description="failed: INVALID_DOCUMENT, ENCRYPTED_DOCUMENT, EMPTY_DOCUMENT, "
        "DOCUMENT_TOO_LARGE or UNSUPPORTED_FILE_TYPE",
    )
    chunks: int = 0
    created_at: datetime
    updated_at: datetime


class FaqCreate(StrictCamelModel):
    question: str = Field(min_length=1, max_length=2000)
    answer: str = Field(min_length=1, max_length=20_000)
    category: str = Field(
        default="general",
        description="general (a FAQ), or a policy: shipping, returns, hours, payment, other",
    )


class FaqUpdate(StrictCamelModel):
    question: str | None = Field(default=None, min_length=1, max_length=2000)
    answer: str | None = Field(default=None, min_length=1, max_length=20_000)
    category: str | None = None


class FaqRead(CamelModel):
    id: str
    assistant_id: str
    question: str
    answer: str
    category: str
    kind: str = Field(description="faq | policy")
    created_at: datetime
    updated_at: datetime


class ContradictionSide(CamelModel):
    source_id: str
    source_kind: str
    title: str
    text: str
    values: list[str]


class ContradictionRead(CamelModel):
    kind: str = Field(description="price | hours")
    message: str
    items: list[ContradictionSide]


class IndexStatusRead(CamelModel):
    status: str = Field(description="ready | indexing | failed")
    processing_documents: int = Field(
        default=0, description="Uploaded documents whose text is still being read"
    )
    version: int
    indexed_version: int
    indexed_at: datetime | None = None
    last_error: str | None = None
    chunks: int
    embedded_chunks: int
    embeddings: bool = Field(description="False: the embedding model is absent; answers are weaker")
    retrieval: str = Field(description="hybrid (BM25 + embeddings) | bm25")
    embedding_model: str | None = Field(
        default=None, description="all-MiniLM-L6-v2, or http:<model> for an embedding provider"
    )
    contradictions: list[ContradictionRead]


class SearchHitRead(CamelModel):
    kind: str
    id: str
    title: str
    text: str
    score: float
    source_id: str
    metadata: dict[str, Any]


class SearchRead(CamelModel):
    data: list[SearchHitRead]


# -- job payloads ---------------------------------------------------------------------------


class ReindexJob(JobPayload):
    """Bring an assistant's knowledge index up to date (``knowledge.reindex``)."""

    kind: ClassVar[str] = "knowledge.reindex"
    assistant_id: str


class ExtractDocumentJob(JobPayload):
    """Read an uploaded document's text and index it (``knowledge.extract``)."""

    kind: ClassVar[str] = "knowledge.extract"
    item_id: str
