from __future__ import annotations

from typing import Any

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from repdesk.db.base import Base, IdMixin, JSONType, TimestampMixin


class WorkspaceAI(IdMixin, TimestampMixin, Base):
    """A workspace's choice of engine. No row: the operator's default (settings)."""

    __tablename__ = "workspace_ai_settings"

    workspace_id: Mapped[str] = mapped_column(
        ForeignKey("workspaces.id", ondelete="CASCADE"), unique=True
    )
    provider: Mapped[str] = mapped_column(String(20), default="builtin")  # builtin|openai|anthropic
    base_url: Mapped[str | None] = mapped_column(String(500))
    model: Mapped[str | None] = mapped_column(String(120))
    api_key_encrypted: Mapped[str | None] = mapped_column(Text)  # vault ciphertext
    timeout_seconds: Mapped[int] = mapped_column(Integer, default=20)


class LLMCall(IdMixin, TimestampMixin, Base):
    """One call to a language model: who, which model, tokens, latency, outcome."""

    __tablename__ = "llm_calls"
    __table_args__ = (Index("ix_llm_calls_workspace_id", "workspace_id", "id"),)

    workspace_id: Mapped[str] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"))
    assistant_id: Mapped[str | None] = mapped_column(String(32))
    conversation_id: Mapped[str | None] = mapped_column(String(32))
    provider: Mapped[str] = mapped_column(String(20))
    model: Mapped[str] = mapped_column(String(120))
    prompt_tokens: Mapped[int] = mapped_column(Integer, default=0)
    completion_tokens: Mapped[int] = mapped_column(Integer, default=0)
    latency_ms: Mapped[int] = mapped_column(Integer, default=0)
    status: Mapped[str] = mapped_column(String(20))  # ok | timeout | rate_limited | error
    error: Mapped[str | None] = mapped_column(String(300))


class EngineState(IdMixin, TimestampMixin, Base):
    """What an engine remembers about one conversation (or one playground session): the
    order being collected, recent turns for the playground."""

    __tablename__ = "ai_engine_states"

    key: Mapped[str] = mapped_column(String(64), unique=True)  # conv:<id> | pg:<session id>
    assistant_id: Mapped[str] = mapped_column(ForeignKey("assistants.id", ondelete="CASCADE"))
    state: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    history: Mapped[list[dict[str, Any]]] = mapped_column(JSONType, default=list)
    test: Mapped[bool] = mapped_column(Boolean, default=False)
