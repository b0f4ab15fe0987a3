"""/v1/conversations: list, read, close, and a conversation's messages."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query
from sqlalchemy import select

from repdesk.contacts.models import Contact
from repdesk.conversations import service as conversations
from repdesk.conversations.models import Conversation, Message
from repdesk.developer_api.schemas import ConversationRead
from repdesk.developer_api.v1.deps import (
    ApiContext,
    ApiDep,
    Cursor,
    Limit,
    error_responses,
    page_rows,
    sandbox_page,
)
from repdesk.developer_api.v1.messages import message_row
from repdesk.kit.errors import NotFound
from repdesk.kit.pagination import page

router = APIRouter(tags=["Conversations"])


def conversation_read(conv: Conversation, contact: Contact) -> dict[str, Any]:
    return ConversationRead(
        id=conv.id,
        customer_phone=contact.phone,
        customer_name=contact.name,
        message_count=conv.message_count or 0,
        last_message_at=conv.last_message_at,
        service_window_open=conversations.window_open(conv),
        status=conv.status,
        automation_enabled=conv.automation_enabled,
        window_expires_at=conv.window_expires_at,
        created_at=conv.created_at,
    ).model_dump(by_alias=True, mode="json")


def _query(api: ApiContext) -> Any:
    return (
        select(Conversation, Contact)
        .join(Contact, Contact.id == Conversation.contact_id)
        .where(Conversation.assistant_id == api.assistant.id)
    )


async def _get(api: ApiContext, conversation_id: str) -> tuple[Conversation, Contact]:
    # Sandbox keys see no customer's conversation.
    row = (
        None
        if api.sandbox
        else (
            await api.session.execute(_query(api).where(Conversation.id == conversation_id))
        ).first()
    )
    if row is None:
        raise NotFound("Conversation not found.")
    return row[0], row[1]


@router.get("/conversations")
async def list_conversations(
    api: ApiDep,
    status: Annotated[Literal["open", "closed"] | None, Query()] = None,
    limit: Limit = None,
    cursor: Cursor = None,
) -> dict[str, Any]:
    """Conversations of this assistant, newest first: `{"data","hasMore","nextCursor"}`
    (sandbox keys: always empty)."""
    if api.sandbox:
        return sandbox_page(limit, cursor)
    stmt = _query(api)
    if status:
        stmt = stmt.where(Conversation.status == status)
    rows, has_more, nxt = await page_rows(
        api.session, stmt, Conversation.id, limit=limit, cursor=cursor
    )
    return page([conversation_read(c, p) for c, p in rows], has_more, nxt)


@router.get("/conversations/{conversation_id}", responses=error_responses((404, "NOT_FOUND")))
async def get_conversation(conversation_id: str, api: ApiDep) -> dict[str, Any]:
    conv, contact = await _get(api, conversation_id)
    return conversation_read(conv, contact)


@router.post(
    "/conversations/{conversation_id}/close", responses=error_responses((404, "NOT_FOUND"))
)
async def close_conversation(conversation_id: str, api: ApiDep) -> dict[str, Any]:
    """Mark the conversation closed (a new customer message reopens it)."""
    conv, contact = await _get(api, conversation_id)
    await conversations.set_status(api.session, conv, "closed")
    return conversation_read(conv, contact)


@router.get(
    "/conversations/{conversation_id}/messages", responses=error_responses((404, "NOT_FOUND"))
)
async def conversation_messages(
    conversation_id: str,
    api: ApiDep,
    limit: Limit = None,
    cursor: Cursor = None,
) -> dict[str, Any]:
    """The conversation's messages, newest first."""
    conv, _contact = await _get(api, conversation_id)
    stmt = (
        select(Message, Conversation, Contact)
        .join(Conversation, Conversation.id == Message.conversation_id)
        .join(Contact, Contact.id == Conversation.contact_id)
        .where(Message.conversation_id == conv.id)
    )
    rows, has_more, nxt = await page_rows(api.session, stmt, Message.id, limit=limit, cursor=cursor)
    return page([message_row(r, api) for r in rows], has_more, nxt)
