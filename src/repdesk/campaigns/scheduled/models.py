from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import Boolean, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from repdesk.db.base import Base, IdMixin, JSONType, TimestampMixin
from repdesk.kit.time import utcnow


class ScheduleState(StrEnum):
    """A scheduled message's state. Only ``scheduled`` can be edited or cancelled."""

    SCHEDULED = "scheduled"  # waiting for its send_at
    SENT = "sent"  # handed to the send path (the message's own status tells the rest)
    FAILED = "failed"  # the send path refused it: error_code says why
    CANCELLED = "cancelled"


class ScheduledMessage(IdMixin, TimestampMixin, Base):
    """One message to one recipient (a contact or a phone number) at ``send_at``."""

    __tablename__ = "scheduled_messages"
    __table_args__ = (
        Index("ix_scheduled_messages_assistant_id", "assistant_id", "state", "send_at"),
        Index("ix_scheduled_messages_due", "state", "send_at"),
    )

    workspace_id: Mapped[str] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"))
    assistant_id: Mapped[str] = mapped_column(ForeignKey("assistants.id", ondelete="CASCADE"))
    # Exactly one of contact_id and phone.
    contact_id: Mapped[str | None] = mapped_column(
        ForeignKey("contacts.id", ondelete="CASCADE"), index=True
    )
    phone: Mapped[str | None] = mapped_column(String(20))
    # The Developer API's send body (conversations.MessageContent), as JSON.
    content: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    send_at: Mapped[datetime]  # UTC, whole seconds
    time_zone: Mapped[str] = mapped_column(String(64), default="UTC")  # how the owner chose it
    state: Mapped[str] = mapped_column(String(10), default=ScheduleState.SCHEDULED)
    error_code: Mapped[str | None] = mapped_column(String(60))
    error_message: Mapped[str | None] = mapped_column(String(300))
    # Sent (or failed) more than the allowed lateness after send_at: every worker was down.
    late: Mapped[bool] = mapped_column(Boolean, default=False)
    handled_at: Mapped[datetime | None]
    message_id: Mapped[str | None] = mapped_column(ForeignKey("messages.id", ondelete="SET NULL"))
    created_by: Mapped[str | None] = mapped_column(String(32))  # user id
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
