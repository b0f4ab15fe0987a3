"""/v1/messages: send, list and read messages."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request, Response
from sqlalchemy import select

from repdesk.contacts.models import Contact
from repdesk.conversations.models import Conversation, Message
from repdesk.conversations.service import message_data
from repdesk.developer_api import sending
from repdesk.developer_api.schemas import SendResponse
from repdesk.developer_api.v1.deps import (
    ApiContext,
    ApiDep,
    Cursor,
    Limit,
    bearer_key,
    error_responses,
    key_checked_first,
    page_rows,
    sandbox_page,
)
from repdesk.kit.errors import NotFound, ValidationError
from repdesk.kit.pagination import page
from repdesk.kit.phones import normalize_phone
from repdesk.kit.schemas import E164

router = APIRouter(tags=["Messages"])


@router.post(
    "/messages/send",
    response_model=SendResponse,
    responses=error_responses(
        (
            400,
            "VALIDATION_ERROR, INVALID_PHONE_NUMBER, TEMPLATE_NOT_APPROVED, SERVICE_WINDOW_CLOSED",
        ),
        (402, "INSUFFICIENT_CREDITS"),
        (502, "META_API_ERROR: the WhatsApp Cloud API refused or failed; nothing is charged"),
    ),
    # The hot path: the route reads its own body and key (no dependency layer, ADR 7); the
    # document still describes both.
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "application/json": {"schema": {"$ref": "#/components/schemas/SendRequest"}}
            },
        },
        "parameters": [
            {
                "name": "Idempotency-Key",
                "in": "header",
                "required": False,
                "schema": {"type": "string", "maxLength": 100},
                "description": "Retry with the same key: the message is sent at most once.",
            }
        ],
        "security": [{"apiKey": []}],
    },
)
async def send_message(request: Request) -> Response:
    """Send a WhatsApp message to `to` (E.164) and wait for the Cloud API's answer.

    Free-form messages (`text`, `image`, `document`, `audio`, `video`, `interactive`) need an
    open 24-hour service window; outside it, send an approved `template`. Costs 2 credits for
    text and interactive, 4 for media and templates; `rep_test_` keys send nothing and cost
    nothing. Repeat a request with the same `Idempotency-Key` header to retry safely: the message
    is sent at most once and the retry gets the same answer.
    """
    raw_key = bearer_key(request.headers.get("authorization"))
    key_checked_first(request)  # sending.send accepts the key before it raises anything else
    result = await sending.send(
        request.app.state.db, raw_key, await request.body(), request.headers.get("idempotency-key")
    )
    return Response(result.model_dump_json(by_alias=True), media_type="application/json")


def message_row(row: Any, api: ApiContext) -> dict[str, Any]:
    message, conv, contact = row
    return message_data(message, conv, contact, api.assistant).wire()


def _messages_query(api: ApiContext) -> Any:
    return (
        select(Message, Conversation, Contact)
        .join(Conversation, Conversation.id == Message.conversation_id)
        .join(Contact, Contact.id == Conversation.contact_id)
        .where(Message.assistant_id == api.assistant.id)
    )


@router.get("/messages")
async def list_messages(
    api: ApiDep,
    conversation_id: Annotated[str | None, Query(alias="conversationId", max_length=64)] = None,
    phone: Annotated[str | None, Query(max_length=40, json_schema_extra=E164)] = None,
    direction: Annotated[Literal["in", "out"] | None, Query()] = None,
    status: Annotated[str | None, Query(max_length=12)] = None,
    since: Annotated[datetime | None, Query(description="ISO 8601, inclusive")] = None,
    until: Annotated[datetime | None, Query(description="ISO 8601, exclusive")] = None,
    limit: Limit = None,
    cursor: Cursor = None,
) -> dict[str, Any]:
    """Messages of this assistant, newest first: `{"data","hasMore","nextCursor"}` (sandbox
    keys: always empty)."""
    stmt = _messages_query(api)
    if conversation_id:
        stmt = stmt.where(Message.conversation_id == conversation_id)
    if phone:
        stmt = stmt.where(Contact.phone == normalize_phone(phone))
    if direction:
        stmt = stmt.where(Message.direction == direction)
    if status:
        stmt = stmt.where(Message.status == status)
    if since and until and since >= until:
        raise ValidationError("since must be before until.")
    if since:
        stmt = stmt.where(Message.created_at >= since)
    if until:
        stmt = stmt.where(Message.created_at < until)
    if api.sandbox:
        return sandbox_page(limit, cursor)
    rows, has_more, nxt = await page_rows(api.session, stmt, Message.id, limit=limit, cursor=cursor)
    return page([message_row(r, api) for r in rows], has_more, nxt)


@router.get("/messages/{message_id}", responses=error_responses((404, "NOT_FOUND")))
async def get_message(message_id: str, api: ApiDep) -> dict[str, Any]:
    """One message of this assistant (sandbox keys: 404, they see no customer's messages)."""
    row = (
        None
        if api.sandbox
        else (
            await api.session.execute(_messages_query(api).where(Message.id == message_id))
        ).first()
    )
    if row is None:
        raise NotFound("Message not found.")
    return message_row(row, api)
