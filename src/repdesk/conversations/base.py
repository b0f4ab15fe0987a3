"""What the other modules of the pipeline share: finding and opening conversations, the
service window, the row lock every sender takes, and the payloads of ``message.*`` and
``conversation.*`` events."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from repdesk.accounts.models import Workspace
from repdesk.assistants import service as assistants
from repdesk.assistants.models import Assistant
from repdesk.contacts.models import Contact
from repdesk.conversations.models import Conversation, ConversationStatus, Message
from repdesk.events.service import conversation_topic, emit
from repdesk.events.types import ConversationData, Event, MessageData
from repdesk.kit.errors import AppError
from repdesk.kit.time import ensure_utc, isoformat, utcnow

SERVICE_WINDOW = timedelta(hours=24)
PREVIEW_LEN = 200


class ServiceWindowClosed(AppError):
    status = 400
    code = "SERVICE_WINDOW_CLOSED"


async def get_or_create_conversation(
    session: AsyncSession, *, assistant: Assistant, contact: Contact, channel: str
) -> Conversation:
    conv = await session.scalar(
        select(Conversation).where(
            Conversation.assistant_id == assistant.id, Conversation.contact_id == contact.id
        )
    )
    if conv is not None:
        return conv
    conv = Conversation(
        assistant_id=assistant.id,
        contact_id=contact.id,
        channel=channel,
        status=ConversationStatus.OPEN,
        automation_enabled=True,
        needs_human=False,
        unread_count=0,
        message_count=0,
        last_message_preview="",
    )
    try:
        async with session.begin_nested():
            session.add(conv)
            await session.flush()
    except IntegrityError:
        existing = await session.scalar(
            select(Conversation).where(
                Conversation.assistant_id == assistant.id, Conversation.contact_id == contact.id
            )
        )
        if existing is None:
            raise
        return existing
    await emit_conversation(
        session, conv, event=Event.CONVERSATION_OPENED, workspace_id=assistant.workspace_id
    )
    return conv


def window_open(conv: Conversation, now: datetime | None = None) -> bool:
    if conv.window_expires_at is None:
        return False
    return ensure_utc(conv.window_expires_at) > (now or utcnow())


async def get_conversation(session: AsyncSession, conversation_id: str) -> Conversation | None:
    return await session.get(Conversation, conversation_id)


async def get_conversation_for_workspace(
    session: AsyncSession, *, workspace_id: str, conversation_id: str
) -> Conversation:
    return await assistants.get_in_workspace(
        session,
        Conversation,
        conversation_id,
        workspace_id=workspace_id,
        missing="Conversation not found.",
    )


async def lock_conversation(session: AsyncSession, conversation_id: str) -> None:
    """Take the conversation's row lock (PostgreSQL; SQLite serialises writers anyway).

    Lock order: a transaction that will both change a conversation and charge credits locks
    the conversation first, then the workspace (inside ``billing.charge``). Every path that
    sends (inbox, AI reply, API, broadcast) goes through here, so two of them racing on one
    conversation queue up instead of deadlocking on the workspace row.
    """
    await session.execute(
        select(Conversation.id).where(Conversation.id == conversation_id).with_for_update()
    )


async def workspace_of(session: AsyncSession, conv: Conversation) -> Workspace:
    ws = await session.scalar(
        select(Workspace)
        .join(Assistant, Assistant.workspace_id == Workspace.id)
        .where(Assistant.id == conv.assistant_id)
    )
    assert ws is not None
    return ws


def by_external_id(assistant_id: str, channel: str, external_id: str) -> Select[Message]:
    # A channel's message ids are unique per assistant only: the same id at another assistant
    # is that tenant's business (or its forgery), never this message.
    return select(Message).where(
        Message.channel == channel,
        Message.external_id == external_id,
        Message.assistant_id == assistant_id,
    )


# -- event payloads -------------------------------------------------------------------------


def message_data(
    message: Message, conv: Conversation, contact: Contact, assistant: Assistant
) -> MessageData:
    """The ``data`` of a ``message.*`` event (and the public shape of a message)."""
    customer = contact.phone or contact.visitor_id
    business = assistant.channel_address
    inbound = message.direction == "in"
    content: Any = message.text if message.type == "text" else message.content
    return MessageData(
        id=message.id,
        conversation_id=conv.id,
        from_=customer if inbound else business,
        to=business if inbound else customer,
        direction=message.direction,
        type=message.type,
        text=message.text,
        content=content,
        status=message.status,
        sender=message.sender,
        channel=message.channel,
        external_id=message.external_id,
        customer_name=contact.name,
        error_code=message.error_code,
        error_title=message.error_title,
        timestamp=isoformat(message.sent_at or message.created_at),
    )


async def emit_message(
    session: AsyncSession, event: Event, message: Message, conv: Conversation
) -> None:
    assistant = await session.get(Assistant, conv.assistant_id)
    contact = await session.get(Contact, conv.contact_id)
    assert assistant is not None and contact is not None
    await emit(
        session,
        event,
        message_data(message, conv, contact, assistant),
        workspace_id=assistant.workspace_id,
        assistant_id=assistant.id,
        topics=(conversation_topic(conv.id),),
    )


def preview(text: str) -> str:
    text = " ".join(text.split())
    return text[: PREVIEW_LEN - 1] + "…" if len(text) > PREVIEW_LEN else text


async def emit_conversation(
    session: AsyncSession,
    conv: Conversation,
    *,
    event: Event = Event.CONVERSATION_UPDATED,
    workspace_id: str | None = None,
) -> None:
    if workspace_id is None:
        assistant = await session.get(Assistant, conv.assistant_id)
        assert assistant is not None
        workspace_id = assistant.workspace_id
    await emit(
        session,
        event,
        ConversationData(
            id=conv.id,
            contact_id=conv.contact_id,
            channel=conv.channel,
            status=conv.status,
            automation_enabled=conv.automation_enabled,
            needs_human=conv.needs_human,
            handoff_reason=conv.handoff_reason,
        ),
        workspace_id=workspace_id,
        assistant_id=conv.assistant_id,
        topics=(conversation_topic(conv.id),),
    )
