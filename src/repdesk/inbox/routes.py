"""Inbox management routes (session auth, camelCase JSON) and the live event stream: the
conversations' routes (why they live in ``inbox/``, not ``conversations/``: the package docstring).

- ``GET /api/assistants/{id}/conversations``: list, search by name or phone
- ``GET|PATCH /api/conversations/{id}``: one conversation; automation on/off, close/reopen
- ``POST /api/conversations/{id}/read``: clear the unread count
- ``GET|POST /api/conversations/{id}/messages``: history; a manual (agent) reply
- ``GET /api/assistants/{id}/inbox/stream``: server-sent events of the assistant's
  ``message.*`` and ``conversation.*`` events (fed by the realtime bus, Redis across replicas)
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import StreamingResponse

from repdesk.accounts.service import authenticate
from repdesk.assistants import service as assistants
from repdesk.assistants.deps import AssistantDep
from repdesk.assistants.models import Assistant
from repdesk.channels.base import OutboundMessage
from repdesk.conversations import service as conversations
from repdesk.events.service import workspace_topic
from repdesk.inbox import service
from repdesk.inbox.schemas import ConversationRead, ConversationUpdate, MessageRead, ReplyCreate
from repdesk.kit.errors import NotFound, Unauthorized
from repdesk.kit.pagination import page
from repdesk.kit.web import SESSION_COOKIE, PrincipalDep, SessionDep, event_stream, sse_frame

router = APIRouter(tags=["inbox"])


def _dump(model: Any) -> dict[str, Any]:
    return dict(model.model_dump(by_alias=True, mode="json"))


@router.get("/api/assistants/{assistant_id}/conversations")
async def list_conversations(
    assistant: AssistantDep,
    session: SessionDep,
    search: str | None = Query(default=None, max_length=100, description="name or phone"),
    status: str | None = Query(default=None, description="open or closed"),
    limit: int | None = Query(default=None),
    cursor: str | None = Query(default=None, max_length=80),
) -> dict[str, Any]:
    """The assistant's conversations, most recent activity first (cursor-paginated)."""
    items, has_more, nxt = await service.list_conversations(
        session, assistant=assistant, search=search, status=status, limit=limit, cursor=cursor
    )
    return page([_dump(i) for i in items], has_more, nxt)


@router.get("/api/conversations/{conversation_id}", response_model=ConversationRead)
async def get_conversation(
    conversation_id: str, session: SessionDep, principal: PrincipalDep
) -> ConversationRead:
    conv, contact = await service.get_conversation(
        session, workspace_id=principal.workspace.id, conversation_id=conversation_id
    )
    return service.conversation_read(conv, contact)


@router.patch("/api/conversations/{conversation_id}", response_model=ConversationRead)
async def update_conversation(
    conversation_id: str, body: ConversationUpdate, session: SessionDep, principal: PrincipalDep
) -> ConversationRead:
    """``{"automationEnabled": false}`` lets a person take over; ``{"status": "closed"}``
    closes (a new customer message reopens it)."""
    conv, contact = await service.get_conversation(
        session, workspace_id=principal.workspace.id, conversation_id=conversation_id
    )
    if body.automation_enabled is not None:
        await conversations.set_automation(session, conv, body.automation_enabled)
    if body.status is not None:
        await conversations.set_status(session, conv, body.status)
    return service.conversation_read(conv, contact)


@router.post("/api/conversations/{conversation_id}/read", response_model=ConversationRead)
async def mark_read(
    conversation_id: str, session: SessionDep, principal: PrincipalDep
) -> ConversationRead:
    conv, contact = await service.get_conversation(
        session, workspace_id=principal.workspace.id, conversation_id=conversation_id
    )
    await conversations.mark_read(session, conv)
    return service.conversation_read(conv, contact)


@router.get("/api/conversations/{conversation_id}/messages")
async def list_messages(
    conversation_id: str,
    session: SessionDep,
    principal: PrincipalDep,
    limit: int | None = Query(default=None),
    cursor: str | None = Query(default=None, max_length=64),
) -> dict[str, Any]:
    """Messages newest first. ``text`` renders any type readably; ``content`` has details."""
    conv, _ = await service.get_conversation(
        session, workspace_id=principal.workspace.id, conversation_id=conversation_id
    )
    items, has_more, nxt = await service.list_messages(
        session, conversation=conv, limit=limit, cursor=cursor
    )
    return page([_dump(i) for i in items], has_more, nxt)


@router.post(
    "/api/conversations/{conversation_id}/messages", status_code=201, response_model=MessageRead
)
async def reply(
    conversation_id: str, body: ReplyCreate, session: SessionDep, principal: PrincipalDep
) -> MessageRead:
    """A manual reply from the team, sent on the conversation's channel. Charged as an
    outbound message (text 2 credits, template 4). Outside WhatsApp's 24-hour window only a
    template is accepted (``SERVICE_WINDOW_CLOSED``)."""
    conv, _ = await service.get_conversation(
        session, workspace_id=principal.workspace.id, conversation_id=conversation_id
    )
    content = (
        conversations.MessageContent.of(OutboundMessage(type="template", template=body.template))
        if body.template is not None
        else conversations.MessageContent.of_text(body.text or "")
    )
    assistant = await session.get(Assistant, conv.assistant_id)
    assert assistant is not None
    sent = await conversations.send(
        session,
        assistant=assistant,
        to=conversations.Recipient(conversation_id=conv.id),
        content=content,
        origin=conversations.Origin.INBOX,
        author=principal.user.id,
        idempotency_key=body.idempotency_key,
    )
    message = sent.message
    return service.message_read(message)


@router.get(
    "/api/assistants/{assistant_id}/inbox/stream",
    response_class=StreamingResponse,
    responses={200: {"content": {"text/event-stream": {}}}},
)
async def stream(assistant_id: str, request: Request) -> StreamingResponse:
    """Server-sent events: every ``message.*`` / ``conversation.*`` event of the assistant, as
    ``event: <name>`` with the event envelope as JSON data. A comment line every 15 s keeps
    proxies from closing the connection."""
    # No request-scoped session here: the stream must not hold a database connection.
    db = request.app.state.db
    async with db.transaction() as session:
        raw = request.cookies.get(SESSION_COOKIE, "")
        principal = await authenticate(session, raw) if raw else None
        if principal is None:
            raise Unauthorized("Log in first.")
        assistant = await assistants.get(
            session, workspace_id=principal.workspace.id, assistant_id=assistant_id
        )
    if assistant is None:
        raise NotFound("Assistant not found.")

    async def frames(envelope: dict[str, Any]) -> AsyncIterator[bytes]:
        if envelope.get("assistantId") == assistant_id:
            yield sse_frame(envelope)

    return event_stream(request, workspace_topic(principal.workspace.id), frames)
