"""What the team does to a conversation from the inbox: automation on or off, open or
closed, handed to a person, read; and later changes to a message's content."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from repdesk.conversations.base import emit_conversation, emit_message
from repdesk.conversations.models import Conversation, ConversationStatus, Message
from repdesk.events.types import Event
from repdesk.kit.errors import ValidationError


async def set_automation(session: AsyncSession, conv: Conversation, enabled: bool) -> Conversation:
    conv.automation_enabled = enabled
    if enabled:
        conv.needs_human = False
        conv.handoff_reason = None
    await session.flush()
    await emit_conversation(session, conv)
    return conv


async def set_status(session: AsyncSession, conv: Conversation, status: str) -> Conversation:
    if status not in tuple(ConversationStatus):
        raise ValidationError("status must be open or closed.")
    changed = conv.status != status
    conv.status = status
    await session.flush()
    if changed:
        opened = status == ConversationStatus.OPEN
        await emit_conversation(
            session, conv, event=Event.CONVERSATION_OPENED if opened else Event.CONVERSATION_CLOSED
        )
    return conv


async def request_human(session: AsyncSession, conv: Conversation, reason: str) -> Conversation:
    """Hand the conversation to a person: automation off, flagged for the team."""
    conv.automation_enabled = False
    conv.needs_human = True
    conv.handoff_reason = reason[:200]
    await session.flush()
    await emit_conversation(session, conv, event=Event.CONVERSATION_HANDED_OFF)
    return conv


async def mark_read(session: AsyncSession, conv: Conversation) -> None:
    if conv.unread_count:
        conv.unread_count = 0
        await session.flush()


async def update_content(
    session: AsyncSession, message: Message, changes: dict[str, Any]
) -> Message:
    """Merge ``changes`` into a message's structured ``content`` (e.g. the stored file of an
    inbound media message, added once a channel job has downloaded it) and tell the inbox."""
    message.content = {**(message.content or {}), **changes}
    await session.flush()
    conv = await session.get(Conversation, message.conversation_id)
    assert conv is not None
    await emit_message(session, Event.MESSAGE_UPDATED, message, conv)
    return message
