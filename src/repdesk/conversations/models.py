from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from repdesk.db.base import Base, IdMixin, JSONType, TimestampMixin


class ConversationStatus(StrEnum):
    OPEN = "open"
    CLOSED = "closed"


class MessageStatus(StrEnum):
    """Inbound messages are ``received``; outbound ones go queued (or sending, on the API's
    synchronous path) -> sent -> delivered -> read, or failed."""

    RECEIVED = "received"
    QUEUED = "queued"
    SENDING = "sending"
    SENT = "sent"
    DELIVERED = "delivered"
    READ = "read"
    FAILED = "failed"


# How far an outbound message has got: a status report never moves it backwards.
STATUS_RANK: dict[str, int] = {
    MessageStatus.QUEUED: 0,
    MessageStatus.SENDING: 1,
    MessageStatus.SENT: 2,
    MessageStatus.DELIVERED: 3,
    MessageStatus.READ: 4,
    "played": 4,  # Meta's status for a played voice note: as good as read
}
# Accepted by the channel: nothing sends it again.
HANDED_TO_CHANNEL = (MessageStatus.SENT, MessageStatus.DELIVERED, MessageStatus.READ)


class Conversation(IdMixin, TimestampMixin, Base):
    __tablename__ = "conversations"
    __table_args__ = (
        UniqueConstraint("assistant_id", "contact_id"),
        Index("ix_conversations_assistant_last", "assistant_id", "last_message_at"),
    )

    assistant_id: Mapped[str] = mapped_column(ForeignKey("assistants.id", ondelete="CASCADE"))
    contact_id: Mapped[str] = mapped_column(ForeignKey("contacts.id", ondelete="CASCADE"))
    channel: Mapped[str] = mapped_column(String(20))  # whatsapp | widget
    status: Mapped[str] = mapped_column(String(10), default="open")  # open | closed
    automation_enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    needs_human: Mapped[bool] = mapped_column(Boolean, default=False)
    handoff_reason: Mapped[str | None] = mapped_column(String(200))
    # The 24-hour customer service window ends here (customer message timestamp + 24 h).
    window_expires_at: Mapped[datetime | None]
    last_message_at: Mapped[datetime | None]
    last_message_preview: Mapped[str] = mapped_column(String(200), default="")
    unread_count: Mapped[int] = mapped_column(Integer, default=0)
    message_count: Mapped[int] = mapped_column(Integer, default=0)


class Message(IdMixin, TimestampMixin, Base):
    __tablename__ = "messages"
    __table_args__ = (
        # Meta redelivers webhooks: each channel message id is stored once per assistant
        # (a channel id seen by another assistant is another tenant's claim, not a
        # redelivery). The assistant comes last so lookups by (channel, id) keep the index.
        UniqueConstraint("channel", "external_id", "assistant_id"),
        UniqueConstraint("assistant_id", "idempotency_key"),
        Index("ix_messages_conversation_id", "conversation_id", "id"),
        Index("ix_messages_assistant_id", "assistant_id", "id"),
        # Messages in flight, for the sweep that resumes API sends whose request died.
        Index(
            "ix_messages_sending",
            "created_at",
            postgresql_where=text("status = 'sending'"),
            sqlite_where=text("status = 'sending'"),
        ),
    )

    assistant_id: Mapped[str] = mapped_column(ForeignKey("assistants.id", ondelete="CASCADE"))
    conversation_id: Mapped[str] = mapped_column(ForeignKey("conversations.id", ondelete="CASCADE"))
    channel: Mapped[str] = mapped_column(String(20))
    direction: Mapped[str] = mapped_column(String(3))  # in | out
    # text, image, document, audio, video, sticker, location, contacts, interactive, button,
    # template, reaction, unsupported ...
    type: Mapped[str] = mapped_column(String(20))
    text: Mapped[str] = mapped_column(Text, default="")  # readable rendering of any type
    content: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)  # structured details
    # in: received; out: queued -> sent -> delivered -> read, or failed
    status: Mapped[str] = mapped_column(String(12))
    sender: Mapped[str] = mapped_column(String(12))  # customer|ai|agent|api|broadcast|workflow
    external_id: Mapped[str | None] = mapped_column(String(128))  # wamid or widget message id
    idempotency_key: Mapped[str | None] = mapped_column(String(128))
    reply_to_external_id: Mapped[str | None] = mapped_column(String(128))
    error_code: Mapped[str | None] = mapped_column(String(40))
    error_title: Mapped[str | None] = mapped_column(String(300))
    meta_error_code: Mapped[int | None] = mapped_column(Integer)
    credits_charged: Mapped[int] = mapped_column(Integer, default=0)
    author_id: Mapped[str | None] = mapped_column(String(32))  # user who wrote it (agent)
    sent_at: Mapped[datetime | None]  # channel timestamp (customer message time for inbound)
    delivered_at: Mapped[datetime | None]
    read_at: Mapped[datetime | None]
    failed_at: Mapped[datetime | None]
