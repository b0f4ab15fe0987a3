"""``POST /v1/messages/send``: a synchronous send through the durable pipeline.

``queue_outbound`` validates, charges and stores the message, with its ``channel.send`` job
born leased to this request, in one transaction; we commit, deliver at once and answer with
what the channel said (three short transactions in all). A message that failed at Meta was
refunded by the pipeline; one that hit a retryable error is failed and refunded here, its job
removed, so that a 502 is never sent later. If the request dies after the commit, the lease
expires and a background worker sends the message.
Sandbox keys get the same validation and shapes, with nothing sent and nothing charged.
"""

from __future__ import annotations

import asyncio
import os
import socket
import time

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from repdesk.billing import service as billing
from repdesk.channels.base import ChannelError, OutboundMessage, get_sender
from repdesk.contacts import service as contacts
from repdesk.contacts.models import Contact
from repdesk.conversations import service as conversations
from repdesk.conversations.models import Conversation, Message
from repdesk.db.engine import Database, commit
from repdesk.developer_api.config import get_api_settings
from repdesk.developer_api.schemas import SendRequest, SendResponse
from repdesk.developer_api.v1.deps import ApiContext
from repdesk.jobs.models import Job
from repdesk.jobs.service import complete_leased, enqueue_leased
from repdesk.kit.errors import AppError, ValidationError
from repdesk.kit.ids import new_id

CHANNEL = "whatsapp"
DONE = ("sent", "delivered", "read")
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


async def _conversation_for(
    session: AsyncSession, ctx: ApiContext, phone: str, outbound: OutboundMessage
) -> Conversation:
    """The customer's conversation. A number that never wrote can only get a template."""
    row = (
        await session.execute(
            select(Conversation, Contact)
            .join(Contact, Contact.id == Conversation.contact_id)
            .where(Contact.assistant_id == ctx.assistant.id, Contact.phone == phone)
        )
    ).first()
    if row is not None:
        # Keep the contact alive for this request: the identity map holds objects weakly, and
        # the sender and the events read it again.
        session.info.setdefault("repdesk.keep", []).append(row[1])
        return row[0]
    if outbound.type != "template":
        raise conversations.ServiceWindowClosed(
            f"{phone} has not written to this number: the 24-hour service window is closed. "
            "Send an approved template to start the conversation."
        )
    if ctx.sandbox:  # nothing is written for sandbox keys
        return Conversation(assistant_id=ctx.assistant.id, channel=CHANNEL, status="open")
    contact = await conversations.upsert_contact(
        session, assistant_id=ctx.assistant.id, phone=phone
    )
    return await conversations.get_or_create_conversation(
        session, assistant=ctx.assistant, contact=contact, channel=CHANNEL
    )


async def _response(
    session: AsyncSession,
    ctx: ApiContext,
    message: Message,
    *,
    credits_remaining: int | None = None,
) -> SendResponse:
    if message.status == "failed":
        code = message.error_code or "META_API_ERROR"
        text = message.error_title or "The WhatsApp Cloud API refused the message."
        if code in CLIENT_ERRORS:
            raise AppError(text, code=code, status=400)
        raise MetaApiError(f"WhatsApp Cloud API error: {text} Nothing was charged.")
    return SendResponse(
        message_id=message.id,
        whatsapp_message_id=message.external_id,
        status="sent" if message.status in DONE else message.status,
        credits_used=message.credits_charged,
        credits_remaining=(
            credits_remaining
            if credits_remaining is not None
            else await billing.balance(session, ctx.workspace_id)
        ),
    )


# Longer than any one send can take at the Graph API (timeouts included).
SEND_LEASE_SECONDS = 120.0


def _owner() -> str:
    return f"api:{socket.gethostname()}:{os.getpid()}"


async def _settle(
    db: Database, session: AsyncSession, message_id: str, job_id: str | None
) -> Message:
    """Wait until the message is sent or failed; cancel it if its send is only retrying."""
    wait = get_api_settings().api_send_wait_seconds
    deadline = time.monotonic() + wait
    while True:
        message = await session.get(Message, message_id, populate_existing=True)
        assert message is not None
        if message.status in (*DONE, "failed"):
            return message
        if message.status == "queued" and job_id is not None:
            # The send hit a retryable error (or nobody ran it yet): take the job back so it
            # can never go out after we answered 502.
            result = await session.execute(
                delete(Job)
                .where(Job.id == job_id, Job.status == "queued")
                .execution_options(synchronize_session=False)
            )
            if getattr(result, "rowcount", 0) == 1:
                await conversations.mark_failed(
                    session,
                    message,
                    code="META_API_ERROR",
                    title="The WhatsApp Cloud API did not accept the message in time.",
                )
                await commit(session)
                return message
        await commit(session)
        if time.monotonic() > deadline:
            return message
        await asyncio.sleep(0.01 if time.monotonic() < deadline - wait + 0.5 else 0.05)


async def send(
    db: Database, ctx: ApiContext, body: SendRequest, idempotency_key: str | None
) -> SendResponse:
    session = ctx.session
    phone = contacts.normalize_phone(body.to)
    outbound = body.outbound()
    key = _idempotency(idempotency_key)

    if key is not None and not ctx.sandbox:
        prior = await session.scalar(
            select(Message).where(
                Message.assistant_id == ctx.assistant.id, Message.idempotency_key == key
            )
        )
        if prior is not None:
            return await _response(session, ctx, await _settle(db, session, prior.id, None))

    conv = await _conversation_for(session, ctx, phone, outbound)

    if ctx.sandbox:
        sender = get_sender(CHANNEL)
        needs_window = sender.requires_service_window if sender else True
        if needs_window and outbound.type != "template" and not conversations.window_open(conv):
            raise conversations.ServiceWindowClosed(
                "The 24-hour service window is closed: send an approved template to re-engage."
            )
        if sender is not None:
            await sender.validate(session, conv, outbound)
        return SendResponse(
            message_id=new_id(),
            whatsapp_message_id="wamid.TEST" + new_id().upper(),
            status="sent",
            credits_used=0,
            credits_remaining=await billing.balance(session, ctx.workspace_id),
        )

    owner = _owner()
    try:
        new_message_id = new_id()
        message = await conversations.queue_outbound(
            session,
            conversation=conv,
            outbound=outbound,
            sender="api",
            idempotency_key=key,
            enqueue_send=False,
            message_id=new_message_id,
            status="sending",  # this request sends it right after the commit
        )
        if message.id != new_message_id:
            # queue_outbound found this Idempotency-Key's message (committed by a concurrent
            # request): answer with it.
            message_id = message.id
            await commit(session)
            return await _response(session, ctx, await _settle(db, session, message_id, None))
        # The send job is born leased to this request, which runs it right after the commit;
        # should the request die, the lease expires and a worker sends the message.
        job = await enqueue_leased(
            session,
            "channel.send",
            {"messageId": message.id},
            owner=owner,
            lease_seconds=SEND_LEASE_SECONDS,
        )
        await session.flush()
        job_id, message_id = job.id, message.id
        await commit(session)
    except IntegrityError:
        # The same Idempotency-Key raced us and committed first: answer with its message.
        await session.rollback()
        prior = await session.scalar(
            select(Message).where(
                Message.assistant_id == ctx.assistant.id, Message.idempotency_key == key
            )
        )
        if prior is None:
            raise
        return await _response(session, ctx, await _settle(db, session, prior.id, None))

    try:
        message = await conversations.deliver(session, message_id)
    except ChannelError as exc:
        # Retryable (a Meta outage, throttling): we answer 502 now, so the message must never
        # go out later. It is failed and refunded, and its job removed.
        failed = await session.get(Message, message_id)
        assert failed is not None
        await conversations.mark_failed(
            session,
            failed,
            code="META_API_ERROR",
            title=f"The WhatsApp Cloud API did not accept the message: {exc.message}",
            provider_code=exc.provider_code,
        )
        message = failed
    await complete_leased(session, job_id, owner)
    remaining = await billing.balance(session, ctx.workspace_id)
    await commit(session)
    return await _response(session, ctx, message, credits_remaining=remaining)
