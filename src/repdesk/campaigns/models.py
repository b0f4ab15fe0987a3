from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from repdesk.db.base import Base, IdMixin, JSONType, TimestampMixin


class Broadcast(IdMixin, TimestampMixin, Base):
    """One message (free-form or template) to a list of recipients, sent one at a time."""

    __tablename__ = "broadcasts"
    __table_args__ = (Index("ix_broadcasts_assistant_id", "assistant_id", "id"),)

    workspace_id: Mapped[str] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"))
    assistant_id: Mapped[str] = mapped_column(ForeignKey("assistants.id", ondelete="CASCADE"))
    name: Mapped[str | None] = mapped_column(String(200))
    # The OutboundMessage to send, as JSON.
    content: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    # queued -> sending -> completed | cancelled
    status: Mapped[str] = mapped_column(String(10), default="queued")
    sandbox: Mapped[bool] = mapped_column(Boolean, default=False)
    recipient_count: Mapped[int] = mapped_column(Integer, default=0)
    created_by: Mapped[str | None] = mapped_column(String(32))  # api key id or user id
    completed_at: Mapped[datetime | None]


class BroadcastRecipient(IdMixin, TimestampMixin, Base):
    __tablename__ = "broadcast_recipients"
    __table_args__ = (
        UniqueConstraint("broadcast_id", "phone"),
        Index("ix_broadcast_recipients_broadcast_id", "broadcast_id", "status"),
    )

    broadcast_id: Mapped[str] = mapped_column(ForeignKey("broadcasts.id", ondelete="CASCADE"))
    phone: Mapped[str] = mapped_column(String(20))
    # pending (not yet handled) | queued (message created: its status tells the rest)
    # | skipped | failed | sent (sandbox: nothing went out)
    status: Mapped[str] = mapped_column(String(10), default="pending")
    reason: Mapped[str | None] = mapped_column(String(300))
    message_id: Mapped[str | None] = mapped_column(ForeignKey("messages.id", ondelete="SET NULL"))
    handled_at: Mapped[datetime | None]
