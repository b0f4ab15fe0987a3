"""Sending in tests the way every caller does (through ``conversations.send``), and watching
what a channel's sender is asked to deliver."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from repdesk.assistants.models import Assistant
from repdesk.channels.base import (
    ChannelSender,
    OutboundMessage,
    SendResult,
    get_sender,
    register_sender,
)
from repdesk.conversations import service as conversations
from repdesk.conversations.models import Conversation, Message


async def send_as(
    session: AsyncSession,
    *,
    conversation: Conversation,
    outbound: OutboundMessage,
    sender: str,
    author_id: str | None = None,
    idempotency_key: str | None = None,
    delivery: conversations.Delivery = conversations.Delivery.QUEUED,
) -> Message:
    """``outbound`` to the conversation's customer, sent by ``sender`` (an Origin's value)."""
    assistant = await session.get(Assistant, conversation.assistant_id)
    assert assistant is not None
    sent = await conversations.send(
        session,
        assistant=assistant,
        to=conversations.Recipient(conversation_id=conversation.id),
        content=conversations.MessageContent.of(outbound),
        origin=conversations.Origin(sender),
        author=author_id,
        idempotency_key=idempotency_key,
        delivery=delivery,
    )
    return sent.message


@dataclass
class Seen:
    """A message a channel's sender was asked to deliver."""

    message_id: str
    sender: str
    channel: str
    text: str


class RecordingSender:
    """Put in place of a channel's registered sender (through ``register_sender``, the one
    way a channel is added): records every message it is asked to deliver, then lets the real
    sender validate and deliver it, so the test still sees what the channel really did."""

    def __init__(self, inner: ChannelSender) -> None:
        self.inner = inner
        self.channel = inner.channel
        self.requires_service_window = inner.requires_service_window
        self.seen: list[Seen] = []

    async def validate(
        self, session: AsyncSession, conversation: Conversation, outbound: OutboundMessage
    ) -> None:
        await self.inner.validate(session, conversation, outbound)

    async def prepare(self, session: AsyncSession, message: Message) -> Any:
        self.seen.append(Seen(message.id, message.sender, message.channel, message.text))
        return await self.inner.prepare(session, message)

    async def post(self, session: AsyncSession, prepared: Any) -> SendResult:
        return await self.inner.post(session, prepared)


@contextmanager
def recording(channel: str) -> Iterator[RecordingSender]:
    """Record what ``channel``'s sender delivers while the block runs."""
    real = get_sender(channel)
    assert real is not None, f"no {channel} sender registered"
    recorder = register_sender(RecordingSender(real))
    try:
        yield recorder
    finally:
        register_sender(real)
