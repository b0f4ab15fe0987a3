"""Request and response bodies of the Developer API (camelCase, as the seed writes them)."""

from __future__ import annotations

from datetime import datetime
from typing import ClassVar

from pydantic import BaseModel, ConfigDict, Field

from repdesk.conversations.content import MessageContent
from repdesk.events import types as events_types
from repdesk.jobs.registry import JobPayload
from repdesk.kit.schemas import E164, CamelModel, StrictCamelModel


class SendRequest(MessageContent):
    to: str = Field(max_length=40, description="E.164, like +2348012345678", json_schema_extra=E164)


class SendResponse(CamelModel):
    message_id: str
    whatsapp_message_id: str | None
    status: str
    credits_used: int
    credits_remaining: int


class ConversationRead(CamelModel):
    id: str
    customer_phone: str | None
    customer_name: str | None
    message_count: int
    last_message_at: datetime | None
    service_window_open: bool
    status: str
    automation_enabled: bool
    window_expires_at: datetime | None = None
    created_at: datetime | None = None


class MessageRead(BaseModel):
    """A message, as in the ``data`` of ``message.*`` webhook events."""

    model_config = ConfigDict(extra="allow")

    id: str
    conversationId: str  # noqa: N815
    status: str
    type: str
    direction: str


WEBHOOK_EVENTS: tuple[str, ...] = tuple(e.value for e in events_types.WEBHOOK_EVENTS)


class WebhookCreate(StrictCamelModel):
    url: str = Field(
        max_length=2000,
        description="https (plain http and private addresses only where the operator allows)",
        json_schema_extra={"minLength": 1, "examples": ["https://example.com/repdesk-webhook"]},
    )
    events: list[str] | None = Field(
        default=None,
        description="Events to receive; all of them when left out",
        json_schema_extra={
            "items": {
                "type": "string",
                "enum": list(WEBHOOK_EVENTS),
            }
        },
    )


class WebhookRead(CamelModel):
    id: str
    url: str
    events: list[str]
    active: bool
    created_at: datetime


class WebhookCreated(WebhookRead):
    secret: str = Field(description="The signing secret; shown once.")


class BroadcastRequest(MessageContent):
    recipients: list[str] = Field(min_length=1, description="E.164 phone numbers")
    name: str | None = Field(default=None, max_length=200)


class DeliverWebhookJob(JobPayload):
    """One attempt of a developer webhook delivery (``webhooks.deliver``)."""

    kind: ClassVar[str] = "webhooks.deliver"
    delivery_id: str


class ResumeSendsJob(JobPayload):
    """Periodic: hand API messages a dead request left ``sending`` to ``channel.send``."""

    kind: ClassVar[str] = "developer_api.resume_sends"
