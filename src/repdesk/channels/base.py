"""What every channel provides to the message pipeline.

A channel registers a :class:`ChannelSender` with :func:`register_sender`; nothing else is
needed for every sender (inbox, AI, broadcasts, the Developer API) to reach it through
``conversations.send``. The pipeline delivers a message in three steps: ``prepare`` reads what
the call needs while the transaction is open, the pipeline commits, ``post`` makes the call
(with no transaction open) and returns the channel's id for it, or raises :class:`ChannelError`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal, Protocol, TypeVar

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.ext.asyncio import AsyncSession

from repdesk.conversations.models import Conversation, Message

OutboundType = Literal[
    "text", "image", "document", "audio", "video", "sticker", "template", "interactive"
]


class OutboundMedia(BaseModel):
    model_config = ConfigDict(extra="forbid")

    link: str | None = None
    id: str | None = None  # a channel media id (e.g. uploaded to Meta) or a stored file id
    caption: str | None = None
    filename: str | None = None
    mime_type: str | None = None


class OutboundTemplate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str
    language: str = "en_US"
    components: list[dict[str, Any]] = Field(default_factory=list)


class OutboundMessage(BaseModel):
    """Our own description of a message to send, independent of any channel's wire format.

    ``interactive`` follows Meta's interactive object (``{"type":"button","body":{...},
    "action":{"buttons":[...]}}``); channels that cannot render it fall back to ``text``.
    """

    model_config = ConfigDict(extra="forbid")

    type: OutboundType
    text: str | None = None
    media: OutboundMedia | None = None
    template: OutboundTemplate | None = None
    interactive: dict[str, Any] | None = None
    reply_to: str | None = None  # channel id of the message this replies to

    def readable(self) -> str:
        """The ``text`` column: a readable rendering of the message."""
        if self.type == "text":
            return self.text or ""
        if self.type == "template" and self.template:
            return self.text or f"[template: {self.template.name}]"
        if self.type == "interactive" and self.interactive:
            body = self.interactive.get("body") or {}
            return str(body.get("text") or self.text or "[interactive]")
        if self.media:
            return self.media.caption or self.media.filename or f"[{self.type}]"
        return self.text or f"[{self.type}]"


@dataclass
class SendResult:
    external_id: str
    details: dict[str, Any] = field(default_factory=dict)


class ChannelError(Exception):
    """A send failed.

    ``code`` is repdesk's error code (``META_API_ERROR``, ``SERVICE_WINDOW_CLOSED``,
    ``CHANNEL_DISCONNECTED`` ...), ``provider_code`` the channel's own (Meta's numeric code),
    ``retryable`` whether trying again later can help (network errors, 5xx, throttling).
    """

    def __init__(
        self,
        message: str,
        *,
        code: str = "CHANNEL_ERROR",
        provider_code: int | None = None,
        retryable: bool = False,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.provider_code = provider_code
        self.retryable = retryable


class ChannelSender(Protocol):
    channel: str
    # Whether free-form messages need an open customer-service window (WhatsApp: yes).
    requires_service_window: bool

    async def validate(
        self, session: AsyncSession, conversation: Conversation, outbound: OutboundMessage
    ) -> None:
        """Refuse what the channel cannot send (raise an AppError: VALIDATION_ERROR,
        TEMPLATE_NOT_APPROVED ...) before anything is charged or stored."""

    async def prepare(self, session: AsyncSession, message: Message) -> Any:
        """Everything ``post`` needs, read before the transaction ends (our own data: no ORM
        row, no lazy load after the commit). Raise ChannelError if it cannot be sent."""

    async def post(self, session: AsyncSession, prepared: Any) -> SendResult:
        """Send what ``prepare`` returned. No transaction is open; the session is there only
        for what a failure must record (a revoked token marks the connection)."""


_SENDERS: dict[str, ChannelSender] = {}


SenderT = TypeVar("SenderT", bound=ChannelSender)


def register_sender(sender: SenderT) -> SenderT:
    _SENDERS[sender.channel] = sender
    return sender


def get_sender(channel: str) -> ChannelSender | None:
    return _SENDERS.get(channel)


Direction = Literal["in", "out"]
