"""Sending in tests the way every caller does: through ``conversations.send``."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from repdesk.assistants.models import Assistant
from repdesk.channels.base import OutboundMessage
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
