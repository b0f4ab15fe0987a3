"""Inbox reads. Writes go through ``conversations.service`` (the pipeline owns those tables)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from sqlalchemy import and_, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from repdesk.assistants.models import Assistant
from repdesk.contacts.models import Contact
from repdesk.conversations import service as conversations
from repdesk.conversations.models import (
    Conversation,
    ConversationStatus,
    Message,
)
from repdesk.inbox.schemas import ConversationRead, MessageRead
from repdesk.kit.errors import ValidationError
from repdesk.kit.pagination import check_limit
from repdesk.kit.time import ensure_utc, utcnow


def conversation_read(conv: Conversation, contact: Contact) -> ConversationRead:
    return ConversationRead(
        id=conv.id,
        assistant_id=conv.assistant_id,
        contact_id=contact.id,
        channel=conv.channel,
        status=conv.status,
        automation_enabled=conv.automation_enabled,
        needs_human=conv.needs_human,
        handoff_reason=conv.handoff_reason,
        customer_name=contact.name,
        customer_phone=contact.phone,
        visitor_id=contact.visitor_id,
        last_message_at=conv.last_message_at,
        last_message_preview=conv.last_message_preview or "",
        unread_count=conv.unread_count or 0,
        message_count=conv.message_count or 0,
        service_window_open=conversations.window_open(conv, utcnow()),
        window_expires_at=conv.window_expires_at,
        created_at=conv.created_at,
    )


def message_read(m: Message) -> MessageRead:
    return MessageRead(
        id=m.id,
        conversation_id=m.conversation_id,
        direction=m.direction,
        type=m.type,
        text=m.text or "",
        content=m.content or {},
        status=m.status,
        sender=m.sender,
        channel=m.channel,
        external_id=m.external_id,
        reply_to=m.reply_to_external_id,
        error_code=m.error_code,
        error_title=m.error_title,
        meta_error_code=m.meta_error_code,
        credits_charged=m.credits_charged or 0,
        author_id=m.author_id,
        created_at=m.created_at,
        sent_at=m.sent_at,
        delivered_at=m.delivered_at,
        read_at=m.read_at,
    )


async def list_conversations(
    session: AsyncSession,
    *,
    assistant: Assistant,
    search: str | None = None,
    status: str | None = None,
    limit: int | None = None,
    cursor: str | None = None,
) -> tuple[list[ConversationRead], bool, str | None]:
    """Most recent activity first; one query (conversation joined with its contact).

    The cursor is ``<lastMessageAt epoch micros>.<id>`` so paging is stable while new
    messages reorder the list.
    """
    size = check_limit(limit)
    stmt = (
        select(Conversation, Contact)
        .join(Contact, Contact.id == Conversation.contact_id)
        .where(Conversation.assistant_id == assistant.id)
    )
    if status:
        if status not in tuple(ConversationStatus):
            raise ValidationError("status must be open or closed.")
        stmt = stmt.where(Conversation.status == status)
    if search and search.strip():
        term = search.strip()[:100]
        like = "%" + term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        digits = "".join(c for c in term if c.isdigit())
        conds = [Contact.name.ilike(like, escape="\\"), Contact.visitor_id.ilike(like, escape="\\")]
        if digits:
            conds.append(Contact.phone.like(f"%{digits}%"))
        stmt = stmt.where(or_(*conds))
    activity = func.coalesce(Conversation.last_message_at, Conversation.created_at)
    if cursor:
        at, cid = _decode_cursor(cursor)
        stmt = stmt.where(or_(activity < at, and_(activity == at, Conversation.id < cid)))
    stmt = stmt.order_by(activity.desc(), Conversation.id.desc()).limit(size + 1)
    rows: Sequence[tuple[Conversation, Contact]] = [
        (r[0], r[1]) for r in (await session.execute(stmt)).all()
    ]
    has_more = len(rows) > size
    rows = rows[:size]
    items = [conversation_read(c, ct) for c, ct in rows]
    next_cursor = None
    if has_more and rows:
        last = rows[-1][0]
        when = ensure_utc(last.last_message_at or last.created_at)
        delta = when - datetime(1970, 1, 1, tzinfo=UTC)
        micros = (delta.days * 86400 + delta.seconds) * 1_000_000 + delta.microseconds
        next_cursor = f"{micros}.{last.id}"
    return items, has_more, next_cursor


def _decode_cursor(cursor: str) -> tuple[datetime, str]:
    micros, _, cid = cursor.partition(".")
    if len(cursor) > 80 or not micros.isdigit() or not cid.isalnum():
        raise ValidationError("cursor is not valid.")
    try:
        at = datetime(1970, 1, 1, tzinfo=UTC) + timedelta(microseconds=int(micros))
    except (OverflowError, ValueError) as exc:
        raise ValidationError("cursor is not valid.") from exc
    return at, cid


async def get_conversation(
    session: AsyncSession, *, workspace_id: str, conversation_id: str
) -> tuple[Conversation, Contact]:
    conv = await conversations.get_conversation_for_workspace(
        session, workspace_id=workspace_id, conversation_id=conversation_id
    )
    contact = await session.get(Contact, conv.contact_id)
    assert contact is not None
    return conv, contact


async def list_messages(
    session: AsyncSession, *, conversation: Conversation, limit: int | None, cursor: str | None
) -> tuple[list[MessageRead], bool, str | None]:
    """Newest first, cursor-paginated by id (the page shows them oldest first)."""
    size = check_limit(limit)
    stmt = select(Message).where(Message.conversation_id == conversation.id)
    if cursor:
        if len(cursor) > 64 or not cursor.isalnum():
            raise ValidationError("cursor is not valid.")
        stmt = stmt.where(Message.id < cursor)
    stmt = stmt.order_by(Message.id.desc()).limit(size + 1)
    rows = list((await session.scalars(stmt)).all())
    has_more = len(rows) > size
    rows = rows[:size]
    return [message_read(m) for m in rows], has_more, (rows[-1].id if has_more and rows else None)
