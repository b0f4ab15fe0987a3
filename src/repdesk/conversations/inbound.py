"""Customer messages: stored once (unique on the channel's id within the assistant), with
their contact and conversation, the 24-hour service window opened or extended from the
customer's own timestamp, ``ai.reply`` enqueued when automation is on, ``message.received``."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from repdesk.ai.schemas import AiReplyJob
from repdesk.assistants.models import Assistant
from repdesk.contacts import service as contact_service
from repdesk.contacts.models import Contact
from repdesk.conversations.base import (
    SERVICE_WINDOW,
    by_external_id,
    emit_conversation,
    emit_message,
    get_or_create_conversation,
    preview,
)
from repdesk.conversations.models import Conversation, ConversationStatus, Message, MessageStatus
from repdesk.events.types import Event
from repdesk.jobs.service import enqueue
from repdesk.kit.ids import new_id
from repdesk.kit.time import ensure_utc, utcnow


@dataclass
class Inbound:
    message: Message
    conversation: Conversation
    contact: Contact
    created: bool


async def record_inbound(
    session: AsyncSession,
    *,
    assistant: Assistant,
    channel: str,
    type: str,
    text: str,
    content: dict[str, Any] | None = None,
    external_id: str | None = None,
    sent_at: datetime | None = None,
    phone: str | None = None,
    visitor_id: str | None = None,
    name: str | None = None,
    reply_to_external_id: str | None = None,
    opens_window: bool = True,
    trigger_ai: bool = True,
) -> Inbound:
    """Store one customer message. Idempotent on (channel, external_id) within the assistant."""
    if external_id:
        existing = await session.scalar(by_external_id(assistant.id, channel, external_id))
        if existing is not None:
            conv = await session.get(Conversation, existing.conversation_id)
            assert conv is not None
            contact = await session.get(Contact, conv.contact_id)
            assert contact is not None
            return Inbound(existing, conv, contact, created=False)
    contact = await contact_service.upsert(
        session, assistant=assistant, phone=phone, visitor_id=visitor_id, name=name
    )
    conv = await get_or_create_conversation(
        session, assistant=assistant, contact=contact, channel=channel
    )
    when = ensure_utc(sent_at) if sent_at else utcnow()
    message = _inbound_message(
        assistant.id,
        conv.id,
        channel=channel,
        type=type,
        text=text,
        content=content,
        external_id=external_id,
        reply_to_external_id=reply_to_external_id,
        when=when,
    )
    try:
        async with session.begin_nested():
            session.add(message)
            await session.flush()
    except IntegrityError:
        # A concurrent redelivery stored it first.
        existing = (
            await session.scalar(by_external_id(assistant.id, channel, external_id))
            if external_id
            else None
        )
        if existing is None:
            raise
        return Inbound(existing, conv, contact, created=False)

    await _apply_inbound(
        session, message, conv, contact, when=when, opens_window=opens_window, trigger_ai=trigger_ai
    )
    await session.flush()
    return Inbound(message, conv, contact, created=True)


def _inbound_message(
    assistant_id: str,
    conversation_id: str,
    *,
    channel: str,
    type: str,
    text: str,
    content: dict[str, Any] | None,
    external_id: str | None,
    reply_to_external_id: str | None,
    when: datetime,
) -> Message:
    """A new customer message (its id and creation time set now, so that the jobs and events
    it causes can name it before any flush)."""
    return Message(
        id=new_id(),
        assistant_id=assistant_id,
        conversation_id=conversation_id,
        channel=channel,
        direction="in",
        type=type,
        text=text or "",
        content=content or {},
        status=MessageStatus.RECEIVED,
        sender="customer",
        external_id=external_id,
        reply_to_external_id=reply_to_external_id,
        credits_charged=0,
        sent_at=when,
        created_at=utcnow(),
    )


async def _apply_inbound(
    session: AsyncSession,
    message: Message,
    conv: Conversation,
    contact: Contact,
    *,
    when: datetime,
    opens_window: bool,
    trigger_ai: bool,
) -> None:
    """What a new customer message does to its conversation and contact, and the work it
    schedules. Changes objects in the session only (the caller flushes)."""
    now = utcnow()
    if opens_window:
        expires = when + SERVICE_WINDOW
        if conv.window_expires_at is None or ensure_utc(conv.window_expires_at) < expires:
            conv.window_expires_at = expires
    if conv.last_message_at is None or ensure_utc(conv.last_message_at) <= when:
        conv.last_message_at = when
        conv.last_message_preview = preview(message.text)
    conv.unread_count = (conv.unread_count or 0) + 1
    conv.message_count = (conv.message_count or 0) + 1
    reopened = conv.status == ConversationStatus.CLOSED
    if reopened:
        conv.status = ConversationStatus.OPEN
    contact.message_count = (contact.message_count or 0) + 1
    contact.last_message_at = now
    if trigger_ai and conv.automation_enabled:
        await enqueue(session, AiReplyJob(conversation_id=conv.id, message_id=message.id))
    if reopened:
        await emit_conversation(session, conv, event=Event.CONVERSATION_OPENED)
    await emit_message(session, Event.MESSAGE_RECEIVED, message, conv)


@dataclass
class NewInbound:
    """One customer message for :func:`record_inbound_many` (see :func:`record_inbound`)."""

    type: str
    text: str
    content: dict[str, Any]
    external_id: str
    sent_at: datetime | None
    phone: str
    name: str | None = None
    reply_to_external_id: str | None = None
    trigger_ai: bool = True


async def record_inbound_many(
    session: AsyncSession, *, assistant: Assistant, channel: str, items: list[NewInbound]
) -> list[Inbound]:
    """Store a batch of customer messages of one assistant, in order, with a handful of
    statements whatever the batch size: contacts and conversations are loaded (or created)
    for the whole batch, and the messages, counters and jobs are written by one flush.

    The caller guarantees the ``external_id``s are not stored yet for this assistant (the
    WhatsApp ingest deduplicates by wamid before calling); a concurrent writer of the same id
    still makes the flush fail on the unique constraint, and the caller's transaction with it.
    """
    if not items:
        return []
    phones = sorted({it.phone for it in items})
    contacts = {
        c.phone: c
        for c in await session.scalars(
            select(Contact).where(Contact.assistant_id == assistant.id, Contact.phone.in_(phones))
        )
    }
    for it in items:
        if it.phone not in contacts:
            contacts[it.phone] = await contact_service.upsert(
                session, assistant=assistant, phone=it.phone, name=it.name
            )
        elif it.name and not contacts[it.phone].name:
            contacts[it.phone].name = it.name
    by_contact = {c.id: c for c in contacts.values()}
    convs = {
        conv.contact_id: conv
        for conv in await session.scalars(
            select(Conversation).where(
                Conversation.assistant_id == assistant.id,
                Conversation.contact_id.in_(sorted(by_contact)),
            )
        )
    }
    for contact in contacts.values():
        if contact.id not in convs:
            convs[contact.id] = await get_or_create_conversation(
                session, assistant=assistant, contact=contact, channel=channel
            )
    out: list[Inbound] = []
    for it in items:
        contact = contacts[it.phone]
        conv = convs[contact.id]
        when = ensure_utc(it.sent_at) if it.sent_at else utcnow()
        message = _inbound_message(
            assistant.id,
            conv.id,
            channel=channel,
            type=it.type,
            text=it.text,
            content=it.content,
            external_id=it.external_id,
            reply_to_external_id=it.reply_to_external_id,
            when=when,
        )
        session.add(message)
        await _apply_inbound(
            session, message, conv, contact, when=when, opens_window=True, trigger_ai=it.trigger_ai
        )
        out.append(Inbound(message, conv, contact, created=True))
    await session.flush()
    return out
