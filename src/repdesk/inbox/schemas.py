from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import Field, model_validator

from repdesk.channels.base import OutboundTemplate
from repdesk.kit.schemas import CamelModel, StrictCamelModel


class ConversationRead(CamelModel):
    id: str
    assistant_id: str
    contact_id: str
    channel: str
    status: str
    automation_enabled: bool
    needs_human: bool
    handoff_reason: str | None = None
    customer_name: str | None = None
    customer_phone: str | None = None
    visitor_id: str | None = None
    last_message_at: datetime | None = None
    last_message_preview: str = ""
    unread_count: int = 0
    message_count: int = 0
    service_window_open: bool
    window_expires_at: datetime | None = None
    created_at: datetime


class MessageRead(CamelModel):
    id: str
    conversation_id: str
    direction: str
    type: str
    text: str
    content: dict[str, Any]
    status: str
    sender: str
    channel: str
    external_id: str | None = None
    reply_to: str | None = None
    error_code: str | None = None
    error_title: str | None = None
    meta_error_code: int | None = None
    credits_charged: int = 0
    author_id: str | None = None
    created_at: datetime
    sent_at: datetime | None = None
    delivered_at: datetime | None = None
    read_at: datetime | None = None


class ReplyCreate(StrictCamelModel):
    """A manual reply: ``{"text"}`` or ``{"template": {"name","language","components"}}``."""

    text: str | None = Field(default=None, max_length=20000)
    template: OutboundTemplate | None = None
    idempotency_key: str | None = Field(default=None, max_length=128)

    @model_validator(mode="after")
    def _one(self) -> ReplyCreate:
        if (self.text is None or not self.text.strip()) == (self.template is None):
            raise ValueError("send either a non-empty text or a template")
        return self


class ConversationUpdate(StrictCamelModel):
    automation_enabled: bool | None = None
    status: Literal["open", "closed"] | None = None
