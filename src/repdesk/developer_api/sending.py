"""``POST /v1/messages/send``: a synchronous send through the durable pipeline.

The hot path of the Developer API, kept lean (ADR 7): one read finds the key, its assistant and
workspace, the WhatsApp connection and the customer's conversation; ``conversations.send`` (the
one send path, ``Delivery.NOW``) charges and stores the message (status ``sending``) with
prebuilt statements, in one transaction; ``conversations.deliver_now`` commits and calls the
channel; we record the result and answer with what the channel said (two short transactions in
all). A message Meta refused is failed and refunded; one that hit a retryable
error is failed and refunded too, so that a 502 is never sent later.

The message row is its own durable record: should the request die after the first commit, the
message stays ``sending``, and the ``developer_api.resume_sends`` sweep hands it to a worker
once it is older than any request can last (``SEND_LEASE_SECONDS``). Sandbox keys get the same
validation and shapes, with nothing sent and nothing charged.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass

from fastapi.exceptions import RequestValidationError
from pydantic import ValidationError as PydanticValidationError
from sqlalchemy import and_, bindparam, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from repdesk.accounts.models import Workspace
from repdesk.assistants.models import Assistant
from repdesk.channels.base import ChannelError, OutboundMessage
from repdesk.channels.whatsapp import service as wa
from repdesk.channels.whatsapp.models import WhatsAppConnection
from repdesk.contacts.models import Contact
from repdesk.conversations import service as conversations
from repdesk.conversations.models import (
    HANDED_TO_CHANNEL,
    Conversation,
    ConversationStatus,
    Message,
    MessageStatus,
)
from repdesk.db.engine import Database, commit
from repdesk.developer_api import service as keys
from repdesk.developer_api import webhooks
from repdesk.developer_api.config import get_api_settings
from repdesk.developer_api.models import ApiKey
from repdesk.developer_api.schemas import SendRequest, SendResponse
from repdesk.events import service as events
from repdesk.events.types import Event
from repdesk.kit.errors import AppError, Conflict, ValidationError
from repdesk.kit.ids import new_id
from repdesk.kit.phones import normalize_phone

CLIENT_ERRORS = (
    "SERVICE_WINDOW_CLOSED",
    "TEMPLATE_NOT_APPROVED",
    "INVALID_PHONE_NUMBER",
    "VALIDATION_ERROR",
)


class MetaApiError(AppError):
    status = 502
    code = "META_API_ERROR"


def _idempotency(value: str | None) -> str | None:
    if value is None:
        return None
    value = value.strip()
    if not value or len(value) > 100 or not value.isprintable():
        raise ValidationError("Idempotency-Key must be 1 to 100 printable characters.")
    return "api:" + value


# Everything a send reads, in one statement: the key (by its hash) with its assistant and
# workspace, the assistant's WhatsApp connection, the customer's contact and conversation, and
# whether any webhook endpoint listens (most assistants have none: ``message.sent`` then needs
# no read of its own).
_LOOKUP = (
    select(
        ApiKey,
        Assistant,
        Workspace,
        WhatsAppConnection,
        Contact,
        Conversation,
        webhooks.has_endpoints(Assistant.id),
    )
    .join(Assistant, Assistant.id == ApiKey.assistant_id)
    .join(Workspace, Workspace.id == Assistant.workspace_id)
    .outerjoin(WhatsAppConnection, WhatsAppConnection.assistant_id == Assistant.id)
    .outerjoin(
        Contact, and_(Contact.assistant_id == Assistant.id, Contact.phone == bindparam("phone"))
    )
    .outerjoin(
        Conversation,
        and_(Conversation.assistant_id == Assistant.id, Conversation.contact_id == Contact.id),
    )
    .where(ApiKey.key_hash == bindparam("key_hash"))
)


def _response(message: Message, credits_remaining: int) -> SendResponse:
    if message.status == MessageStatus.FAILED:
        code = message.error_code or "META_API_ERROR"
        text = message.error_title or "The WhatsApp Cloud API refused the message."
        if code in CLIENT_ERRORS:
            raise AppError(text, code=code, status=400)
        raise MetaApiError(f"WhatsApp Cloud API error: {text} Nothing was charged.")
    return SendResponse(
        message_id=message.id,
        whatsapp_message_id=message.external_id,
        status=MessageStatus.SENT if message.status in HANDED_TO_CHANNEL else message.status,
        credits_used=message.credits_charged,
        credits_remaining=credits_remaining,
    )


# Longer than any one request can take (the Graph API's timeouts included): a message still
# ``sending`` after this long was left by a request that died.
SEND_LEASE_SECONDS = 120.0
RESUME_EVERY_SECONDS = 30


async def _settle(session: AsyncSession, message_id: str, workspace_id: str) -> SendResponse:
    """The answer for a message that an earlier request with the same Idempotency-Key created:
    its outcome once it is sent or failed (or its state when the wait runs out)."""
    wait = get_api_settings().api_send_wait_seconds
    started = time.monotonic()
    while True:
        message = await session.get(Message, message_id, populate_existing=True)
        assert message is not None
        if (
            message.status in (*HANDED_TO_CHANNEL, MessageStatus.FAILED)
            or time.monotonic() - started > wait
        ):
            balance = await session.scalar(
                select(Workspace.credits).where(Workspace.id == workspace_id)
            )
            await commit(session)
            return _response(message, int(balance or 0))
        await commit(session)
        await asyncio.sleep(0.01 if time.monotonic() - started < 0.5 else 0.05)


async def _prior(session: AsyncSession, assistant_id: str, key: str) -> str | None:
    found = await session.scalar(
        select(Message.id).where(
            Message.assistant_id == assistant_id, Message.idempotency_key == key
        )
    )
    return str(found) if found is not None else None


def parse_body(raw: bytes) -> SendRequest:
    """The request body, or a 400 VALIDATION_ERROR naming what is wrong."""
    try:
        return SendRequest.model_validate_json(raw)
    except PydanticValidationError as exc:
        raise RequestValidationError(
            [{**e, "loc": ("body", *e["loc"])} for e in exc.errors(include_url=False)]
        ) from None


@dataclass
class _Parsed:
    phone: str
    content: SendRequest
    idempotency_key: str | None


def _parse(raw_body: bytes, idempotency_key: str | None) -> _Parsed:
    body = parse_body(raw_body)
    return _Parsed(normalize_phone(body.to), body, _idempotency(idempotency_key))


async def send(
    db: Database, raw_key: str, raw_body: bytes, idempotency_key: str | None
) -> SendResponse:
    """The key is checked before anything the request carries: an unknown or revoked key is a
    401 whatever the body. The body is parsed before the one read because the read needs the
    customer's number; a body that does not parse makes the read find no customer, and its
    error is raised only once the key was accepted."""
    keys.check_format(raw_key)
    parsed: _Parsed | None = None
    problem: AppError | RequestValidationError | None = None
    try:
        parsed = _parse(raw_body, idempotency_key)
    except (AppError, RequestValidationError) as exc:
        problem = exc
    async with db.session() as session:
        row = (
            await session.execute(
                _LOOKUP,
                {"key_hash": keys.hash_key(raw_key), "phone": parsed.phone if parsed else None},
            )
        ).first()
        api_key = await keys.accept(session, row[0] if row is not None else None)
        assert row is not None
        if parsed is None:
            assert problem is not None
            raise problem
        phone, content, key = parsed.phone, parsed.content, parsed.idempotency_key
        _key, assistant, workspace, conn, _contact, conv, listened = row
        assistant_id, workspace_id = assistant.id, workspace.id  # usable after the session
        # The WhatsApp sender's connection, read with the rest (no read of its own).
        wa.remember_connection(session, assistant_id, conn)
        if api_key.environment == "test":
            return await _sandbox(session, assistant, workspace, conv, content.outbound(), phone)
        recipient = (
            conversations.Recipient(conversation_id=conv.id)
            if conv is not None  # loaded by the read above: resolving it costs no statement
            else conversations.Recipient(phone=phone)
        )
        try:
            sent = await conversations.send(
                session,
                assistant=assistant,
                to=recipient,
                content=content,
                origin=conversations.Origin.API,
                idempotency_key=key,
                delivery=conversations.Delivery.NOW,
            )
        except IntegrityError:
            if key is None:
                raise
            sent = None  # the transaction is dead: it is discarded with this session
        if sent is not None:
            return await _deliver(session, sent, workspace, listened=bool(listened))
    # The same Idempotency-Key raced us and committed first: answer with its message.
    assert key is not None
    async with db.session() as session:
        prior = await _prior(session, assistant_id, key)
        if prior is None:
            raise Conflict("The send could not be stored: try again.")
        return await _settle(session, prior, workspace_id)


async def _deliver(
    session: AsyncSession, sent: conversations.Sent, workspace: Workspace, *, listened: bool
) -> SendResponse:
    """Deliver the stored message now and answer with the channel's outcome."""
    message = sent.message
    if not sent.created:
        # An earlier request with this Idempotency-Key made it: its answer.
        await commit(session)
        return await _settle(session, message.id, workspace.id)
    balance = workspace.credits  # after the charge (billing keeps it current)
    try:
        result = await conversations.deliver_now(session, message)
    except ChannelError as exc:
        # Refused, or retryable (an outage, throttling): we answer now, so the message must
        # never go out later. It is failed and refunded.
        await conversations.record_unsent(session, message, exc)
        await commit(session)
        return _response(message, balance)
    if not listened:
        # Then, unless a durable consumer wants message.sent, what is left is bookkeeping of a
        # message the channel already took: the status, and what inline consumers write (the
        # contact's outbound counters, contacts.consumers). On PostgreSQL that runs without a
        # transaction around it (its BEGIN and COMMIT are two round trips); each statement is
        # atomic, and there is nothing left to roll back. With endpoints, message.sent writes
        # their deliveries in the status's transaction.
        if not events.has_durable_consumers(Event.MESSAGE_SENT):
            await _single_statement(session)
        webhooks.known_to_have_none(session, message.assistant_id)
    await conversations.record_sent(session, message, result.external_id)
    await commit(session)
    return _response(message, balance)


async def _single_statement(session: AsyncSession) -> None:
    """On PostgreSQL, run the session's next unit of work without a transaction around it
    (each statement atomic on its own): only for writes that need no rollback together."""
    if session.get_bind().dialect.name == "postgresql" and not session.in_transaction():
        await session.connection(execution_options={"isolation_level": "AUTOCOMMIT"})


def _never_wrote(phone: str) -> AppError:
    return conversations.ServiceWindowClosed(
        f"{phone} has not written to this number: the 24-hour service window is closed. "
        "Send an approved template to start the conversation."
    )


async def _sandbox(
    session: AsyncSession,
    assistant: Assistant,
    workspace: Workspace,
    conv: Conversation | None,
    outbound: OutboundMessage,
    phone: str,
) -> SendResponse:
    """A ``rep_test_`` key: the same checks as live, nothing written, sent or charged."""
    if conv is None:
        if outbound.type != "template":
            raise _never_wrote(phone)
        conv = Conversation(
            assistant_id=assistant.id, channel=assistant.platform, status=ConversationStatus.OPEN
        )
    await conversations.check_sendable(session, conv, outbound)
    await commit(session)  # the key's last-used time, nothing else
    return SendResponse(
        message_id=new_id(),
        whatsapp_message_id="wamid.TEST" + new_id().upper(),
        status=MessageStatus.SENT,
        credits_used=0,
        credits_remaining=workspace.credits,
    )
