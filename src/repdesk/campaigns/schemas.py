"""Broadcasts on the wire: the management API's request body and the one read model (the
Developer API's ``/v1/broadcast`` answers with the same ``BroadcastRead``)."""

from __future__ import annotations

from datetime import datetime
from typing import ClassVar

from pydantic import Field, model_validator

from repdesk.channels.base import OutboundMessage, OutboundTemplate
from repdesk.jobs.registry import JobPayload
from repdesk.kit.schemas import CamelModel, StrictCamelModel


class BroadcastCreate(StrictCamelModel):
    """``{"text"}`` (open 24-hour windows only) or ``{"template": {"name","language",
    "components"}}``, to ``recipients``."""

    name: str | None = Field(default=None, max_length=200)
    text: str | None = Field(default=None, max_length=4096)
    template: OutboundTemplate | None = None
    recipients: list[str] = Field(min_length=1, description="E.164 phone numbers")

    @model_validator(mode="after")
    def _one(self) -> BroadcastCreate:
        if (self.text is None or not self.text.strip()) == (self.template is None):
            raise ValueError("send either a non-empty text or a template")
        return self

    def outbound(self) -> OutboundMessage:
        if self.template is not None:
            return OutboundMessage(type="template", template=self.template)
        return OutboundMessage(type="text", text=(self.text or "").strip())


class BroadcastProgress(CamelModel):
    queued: int = 0
    sent: int = 0
    delivered: int = 0
    read: int = 0
    failed: int = 0
    skipped: int = 0


class BroadcastRecipientRead(CamelModel):
    phone: str
    status: str
    reason: str | None = None
    message_id: str | None = None


class BroadcastRead(CamelModel):
    broadcast_id: str
    status: str
    recipient_count: int
    type: str | None
    name: str | None
    sandbox: bool
    created_at: datetime
    completed_at: datetime | None
    progress: BroadcastProgress
    recipients: list[BroadcastRecipientRead] | None = Field(
        default=None, description="Each recipient's status and reason (one broadcast's read)."
    )


class SendBroadcastJob(JobPayload):
    """Handle a broadcast's next pending recipient (``broadcasts.send``)."""

    kind: ClassVar[str] = "broadcasts.send"
    broadcast_id: str
