"""Knowledge items, FAQs and policies, and the retrieval index's chunks and state."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, Integer, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from repdesk.db.base import Base, IdMixin, JSONType, TimestampMixin
from repdesk.db.types import UTCDateTime
from repdesk.kit.time import utcnow


class KnowledgeItem(IdMixin, TimestampMixin, Base):
    """One thing the owner taught: a text, a Q&A pair, pasted FAQ content or a document."""

    __tablename__ = "knowledge_items"

    assistant_id: Mapped[str] = mapped_column(
        ForeignKey("assistants.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(String(16))  # text | qa | faq_paste | file
    title: Mapped[str] = mapped_column(String(200), default="")
    content: Mapped[str] = mapped_column(Text, default="")
    question: Mapped[str | None] = mapped_column(Text)
    answer: Mapped[str | None] = mapped_column(Text)
    file_id: Mapped[str | None] = mapped_column(ForeignKey("stored_files.id", ondelete="SET NULL"))
    filename: Mapped[str | None] = mapped_column(String(255))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    # A document is "processing" from its upload until the knowledge.extract job has read it,
    # then "ready" or "failed"; every other kind is "ready" at once. ``status_detail``: why it
    # failed (``error_code``: the machine-readable reason), or a notice (pages left unread).
    status: Mapped[str] = mapped_column(String(12), default="ready", server_default="ready")
    status_detail: Mapped[str | None] = mapped_column(Text)
    error_code: Mapped[str | None] = mapped_column(String(40))


class Faq(IdMixin, TimestampMixin, Base):
    """A question with its answer, or a policy (shipping, returns, hours, payment, other)."""

    __tablename__ = "faqs"

    assistant_id: Mapped[str] = mapped_column(
        ForeignKey("assistants.id", ondelete="CASCADE"), index=True
    )
    question: Mapped[str] = mapped_column(Text)
    answer: Mapped[str] = mapped_column(Text)
    category: Mapped[str] = mapped_column(String(20), default="general")
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)


class IndexChunk(IdMixin, Base):
    """A searchable unit: a knowledge chunk, a FAQ, a policy or a product, with its cached
    embedding (reused while the text is unchanged)."""

    __tablename__ = "knowledge_chunks"
    __table_args__ = (Index("ix_knowledge_chunks_source", "assistant_id", "source_id"),)

    assistant_id: Mapped[str] = mapped_column(ForeignKey("assistants.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(16))  # knowledge | faq | policy | product
    source_id: Mapped[str] = mapped_column(String(32))
    position: Mapped[int] = mapped_column(Integer, default=0)
    title: Mapped[str] = mapped_column(String(300), default="")
    text: Mapped[str] = mapped_column(Text)
    content_hash: Mapped[str] = mapped_column(String(64))
    meta: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    embedding: Mapped[bytes | None] = mapped_column(LargeBinary)
    embedding_model: Mapped[str | None] = mapped_column(String(64))


class KnowledgeIndex(Base):
    """Per assistant: ``version`` goes up on every change; ``indexed_version`` is the version
    whose embeddings and contradiction check the ``knowledge.reindex`` job has finished."""

    __tablename__ = "knowledge_indexes"

    assistant_id: Mapped[str] = mapped_column(
        ForeignKey("assistants.id", ondelete="CASCADE"), primary_key=True
    )
    version: Mapped[int] = mapped_column(Integer, default=0)
    indexed_version: Mapped[int] = mapped_column(Integer, default=0)
    status: Mapped[str] = mapped_column(String(16), default="ready")  # ready | indexing | failed
    last_error: Mapped[str | None] = mapped_column(Text)
    indexed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    contradictions: Mapped[list[dict[str, Any]]] = mapped_column(JSONType, default=list)
