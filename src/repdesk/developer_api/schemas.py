"""Request and response bodies of the Developer API (camelCase, as the seed writes them)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from repdesk.channels.base import OutboundMedia, OutboundMessage, OutboundTemplate
from repdesk.events import types as events_types
from repdesk.jobs.registry import JobPayload
from repdesk.kit.schemas import E164, CamelModel, StrictCamelModel

SendType = Literal["text", "image", "document", "audio", "video", "template", "interactive"]
MEDIA = ("image", "document", "audio", "video")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class TextContent(_Strict):
    body: str = Field(min_length=1, max_length=4096)
    preview_url: bool | None = Field(default=None, alias="previewUrl")


class MediaContent(_Strict):
    link: str | None = Field(default=None, max_length=2000)
    id: str | None = Field(default=None, max_length=128)
    caption: str | None = Field(default=None, max_length=1024)
    filename: str | None = Field(default=None, max_length=240)

    @model_validator(mode="after")
    def _one_source(self) -> MediaContent:
        if not self.link and not self.id:
            raise ValueError("media needs a link or an id")
        if self.link and not self.link.startswith(("https://", "http://")):
            raise ValueError("link must be an http(s) URL")
        return self


class TemplateLanguage(_Strict):
    code: str = Field(min_length=2, max_length=15)
    policy: str | None = None


class TemplateContent(_Strict):
    name: str = Field(min_length=1, max_length=512)
    language: str | TemplateLanguage = "en_US"
    components: list[dict[str, Any]] = Field(default_factory=list)

    @property
    def language_code(self) -> str:
        return self.language if isinstance(self.language, str) else self.language.code


class MessageContent(_Strict):
    """The message of a send or a broadcast: ``type`` and the matching content object."""

    type: SendType
    text: TextContent | None = None
    image: MediaContent | None = None
    document: MediaContent | None = None
    audio: MediaContent | None = None
    video: MediaContent | None = None
    template: TemplateContent | None = None
    interactive: dict[str, Any] | None = None

    @model_validator(mode="after")
    def _content_matches_type(self) -> MessageContent:
        if getattr(self, self.type) is None:
            raise ValueError(f"type is {self.type!r} but the {self.type!r} object is missing")
        for other in ("text", "image", "document", "audio", "video", "template", "interactive"):
            if other != self.type and getattr(self, other) is not None:
                raise ValueError(f"{other!r} given but type is {self.type!r}")
        if self.type == "interactive":
            inter = self.interactive or {}
            body = inter.get("body")
            if (
                not isinstance(inter.get("type"), str)
                or not isinstance(body, dict)
                or not body.get("text")
            ):
                raise ValueError("interactive needs a type and a body with text")
        return self

    def outbound(self) -> OutboundMessage:
        if self.type == "text":
            assert self.text is not None
            return OutboundMessage(type="text", text=self.text.body)
        if self.type in MEDIA:
            media: MediaContent = getattr(self, self.type)
            return OutboundMessage(
                type=self.type,
                media=OutboundMedia(
                    link=media.link, id=media.id, caption=media.caption, filename=media.filename
                ),
            )
        if self.type == "template":
            assert self.template is not None
            return OutboundMessage(
                type="template",
                template=OutboundTemplate(
                    name=self.template.name,
                    language=self.template.language_code,
                    components=self.template.components,
                ),
            )
        return OutboundMessage(type="interactive", interactive=self.interactive)


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


class BroadcastProgress(CamelModel):
    queued: int = 0
    sent: int = 0
    delivered: int = 0
    read: int = 0
    failed: int = 0
    skipped: int = 0


class BroadcastRead(CamelModel):
    broadcast_id: str
    status: str
    recipient_count: int
    sandbox: bool
    type: str
    created_at: datetime
    completed_at: datetime | None
    progress: BroadcastProgress
    recipients: list[dict[str, Any]] | None = None


class DeliverWebhookJob(JobPayload):
    """One attempt of a developer webhook delivery (``webhooks.deliver``)."""

    kind: ClassVar[str] = "webhooks.deliver"
    delivery_id: str
