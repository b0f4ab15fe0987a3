"""Scheduled messages on the wire: the management API's bodies, the read model and the job."""

from __future__ import annotations

from datetime import datetime
from typing import Any, ClassVar

from pydantic import AwareDatetime, Field, model_validator

from repdesk.campaigns.scheduled.models import ScheduleState
from repdesk.conversations.content import MessageContent
from repdesk.jobs.registry import JobPayload
from repdesk.kit.schemas import E164, CamelModel, StrictCamelModel


class ScheduleTo(StrictCamelModel):
    """``{"contactId"}`` (one of the assistant's contacts) or ``{"phone"}`` (E.164)."""

    contact_id: str | None = Field(default=None, min_length=1, max_length=32)
    phone: str | None = Field(default=None, min_length=1, max_length=32, json_schema_extra=E164)

    @model_validator(mode="after")
    def _one(self) -> ScheduleTo:
        if (self.contact_id is None) == (self.phone is None):
            raise ValueError("to is either {contactId} or {phone}")
        return self


class ScheduledMessageCreate(StrictCamelModel):
    to: ScheduleTo
    content: MessageContent = Field(
        description='The Developer API\'s send body: {"type":"text","text":{"body":…}}, media, '
        "or a template (with variables); a free-form message may add a fallbackTemplate."
    )
    send_at: AwareDatetime = Field(
        description="ISO 8601 with an offset (2026-12-24T09:00:00+01:00); in the future."
    )
    time_zone: str | None = Field(
        default=None,
        max_length=64,
        description="IANA name the time was chosen in (display only); the workspace's default.",
    )


class ScheduledMessageUpdate(StrictCamelModel):
    """The fields to change (only while ``scheduled``); those left out stay as they are."""

    to: ScheduleTo | None = None
    content: MessageContent | None = None
    send_at: AwareDatetime | None = None
    time_zone: str | None = Field(default=None, max_length=64)


class ScheduledMessageRead(CamelModel):
    id: str
    assistant_id: str
    to: ScheduleTo
    content: dict[str, Any]
    send_at: datetime
    time_zone: str
    state: ScheduleState
    error_code: str | None = None
    error_message: str | None = None
    late: bool = False
    handled_at: datetime | None = None
    message_id: str | None = None
    message_status: str | None = Field(
        default=None, description="The sent message's own status (queued, sent, delivered …)."
    )
    created_at: datetime
    created_by: str | None = None


class SendScheduledJob(JobPayload):
    """Send one scheduled message (``schedules.send``), due at ``send_at``. A job whose
    ``send_at`` is no longer the message's (the time was edited) does nothing."""

    kind: ClassVar[str] = "schedules.send"
    schedule_id: str
    send_at: datetime
