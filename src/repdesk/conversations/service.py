"""The message pipeline (DESIGN.md): inbound messages, outbound messages, statuses.

Every channel calls these functions; nothing else writes conversations or messages.

- :func:`record_inbound`: store a customer message once (unique on the channel's id), upsert
  the contact and conversation, open or extend the 24-hour service window from the customer's
  own timestamp, enqueue ``ai.reply`` when automation is on, emit ``message.received``.
- :func:`queue_outbound`: validate (service window), charge the ledger, store the message as
  ``queued`` and enqueue ``channel.send``, all in the caller's transaction.
- ``channel.send`` (:func:`send_job`) calls the channel; :func:`apply_status` records what the
  channel reports later (sent, delivered, read, failed), never moving a status backwards.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Select, bindparam, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import make_transient_to_detached
from sqlalchemy.orm.attributes import set_committed_value

from repdesk.accounts.models import Workspace
from repdesk.assistants.models import Assistant
from repdesk.billing import prices
from repdesk.billing import service as billing
from repdesk.channels.base import ChannelError, OutboundMessage, get_sender
from repdesk.contacts import service as contact_service
from repdesk.contacts.models import Contact
from repdesk.conversations.models import (
    HANDED_TO_CHANNEL,
    STATUS_RANK,
    Conversation,
    ConversationStatus,
    Message,
    MessageStatus,
)
from repdesk.db.base import table_of
from repdesk.events.service import conversation_topic, emit
from repdesk.events.types import ConversationData, Event, MessageData
from repdesk.jobs.registry import PermanentError, current_attempt, task
from repdesk.jobs.service import enqueue
from repdesk.kit.errors import AppError, NotFound, ValidationError
from repdesk.kit.ids import new_id
from repdesk.kit.time import ensure_utc, isoformat, utcnow

log = logging.getLogger("repdesk.conversations")

SERVICE_WINDOW = timedelta(hours=24)
PREVIEW_LEN = 200


class ServiceWindowClosed(AppError):
    status = 400
    code = "SERVICE_WINDOW_CLOSED"


# -- contacts and conversations ------------------------------------------------------------


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
        status="open",
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
    await _emit_conversation(
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
    conv = await session.scalar(
        select(Conversation)
        .join(Assistant, Assistant.id == Conversation.assistant_id)
        .where(Conversation.id == conversation_id, Assistant.workspace_id == workspace_id)
    )
    if conv is None:
        raise NotFound("Conversation not found.")
    return conv


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


async def _emit_message(
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


def _preview(text: str) -> str:
    text = " ".join(text.split())
    return text[: PREVIEW_LEN - 1] + "…" if len(text) > PREVIEW_LEN else text


# -- inbound --------------------------------------------------------------------------------


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
        existing = await session.scalar(_by_external_id(assistant.id, channel, external_id))
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
            await session.scalar(_by_external_id(assistant.id, channel, external_id))
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


def _by_external_id(assistant_id: str, channel: str, external_id: str) -> Select[Message]:
    # A channel's message ids are unique per assistant only: the same id at another assistant
    # is that tenant's business (or its forgery), never this message.
    return select(Message).where(
        Message.channel == channel,
        Message.external_id == external_id,
        Message.assistant_id == assistant_id,
    )


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
        status="received",
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
        conv.last_message_preview = _preview(message.text)
    conv.unread_count = (conv.unread_count or 0) + 1
    conv.message_count = (conv.message_count or 0) + 1
    reopened = conv.status == ConversationStatus.CLOSED
    if reopened:
        conv.status = ConversationStatus.OPEN
    contact.message_count = (contact.message_count or 0) + 1
    contact.last_message_at = now
    if trigger_ai and conv.automation_enabled:
        await enqueue(session, "ai.reply", {"conversationId": conv.id, "messageId": message.id})
    if reopened:
        await _emit_conversation(session, conv, event=Event.CONVERSATION_OPENED)
    await _emit_message(session, Event.MESSAGE_RECEIVED, message, conv)


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


# -- outbound -------------------------------------------------------------------------------


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


async def check_sendable(
    session: AsyncSession, conversation: Conversation, outbound: OutboundMessage
) -> None:
    """What the channel would refuse, refused before anything is written or charged:
    ServiceWindowClosed for free-form messages outside the window, the sender's validation."""
    channel_sender = get_sender(conversation.channel)
    needs_window = channel_sender.requires_service_window if channel_sender else False
    if needs_window and outbound.type != "template" and not window_open(conversation):
        raise ServiceWindowClosed(
            "The 24-hour service window is closed: send an approved template to re-engage."
        )
    if channel_sender is not None:
        await channel_sender.validate(session, conversation, outbound)


async def queue_outbound(
    session: AsyncSession,
    *,
    conversation: Conversation,
    outbound: OutboundMessage,
    sender: str,
    author_id: str | None = None,
    idempotency_key: str | None = None,
    charge: bool = True,
    price: int | None = None,
    enqueue_send: bool = True,
    message_id: str | None = None,
    status: str = "queued",
) -> Message:
    """Validate, charge and store an outbound message, and enqueue its send.

    Raises ServiceWindowClosed for free-form messages outside the window on channels that have
    one, InsufficientCredits when the workspace cannot pay; the caller rolls back (or its
    savepoint) and nothing is written. ``message_id`` names the new message (a caller that
    passes one can tell it from an earlier message returned for ``idempotency_key``). A
    Workspace loaded in the session is left holding the balance after the charge.
    """
    assistant = await session.get(Assistant, conversation.assistant_id)
    assert assistant is not None
    if idempotency_key:
        # Under the conversation's lock, so that a concurrent request with the same key waits
        # for this one and then finds its message.
        await lock_conversation(session, conversation.id)
        prior = await session.scalar(
            select(Message).where(
                Message.assistant_id == assistant.id, Message.idempotency_key == idempotency_key
            )
        )
        if prior is not None:
            return prior
    await check_sendable(session, conversation, outbound)
    cost = (prices.outbound_price(outbound.type) if price is None else price) if charge else 0
    message = await _store_outbound(
        session,
        assistant=assistant,
        conversation=conversation,
        outbound=outbound,
        sender=sender,
        author_id=author_id,
        idempotency_key=idempotency_key,
        cost=cost,
        message_id=message_id or new_id(),
        status=status,
    )
    if enqueue_send:
        await enqueue(session, "channel.send", {"messageId": message.id})
    await _emit_message(session, Event.MESSAGE_QUEUED, message, conversation)
    return message


_C = table_of(Conversation).c
_TOUCH_CONVERSATION = (
    update(table_of(Conversation))
    .where(_C.id == bindparam("conversation_id"))
    .values(
        last_message_at=bindparam("now"),
        last_message_preview=bindparam("preview"),
        message_count=_C.message_count + 1,
    )
    .returning(_C.message_count)
)
_INSERT_MESSAGE = insert(table_of(Message))
# Every column, so that the message made persistent after the INSERT has no unloaded attribute.
_MESSAGE_COLUMNS = tuple(column.key for column in table_of(Message).columns)
_M = table_of(Message).c
_MARK_SENT = (
    update(table_of(Message))
    .where(_M.id == bindparam("message_id"))
    .values(status="sent", external_id=bindparam("external_id"), sent_at=bindparam("now"))
)


def _store_charged_statement() -> Any:
    """PostgreSQL: the conversation's counters, the charge, its ledger row and the message in
    one statement (one round trip instead of four). The conversation's row is locked first,
    then the workspace's (the take waits for the conversation's update), as everywhere else;
    the ledger row and the message are written only if the take happened. Selects the new
    message count and the balance after (NULL: nothing taken, and the caller rolls back)."""
    touched = _TOUCH_CONVERSATION.cte("touched")
    taken, entry = billing.usage_ctes(after=touched)
    columns = table_of(Message).columns
    message = (
        insert(table_of(Message))
        .from_select(
            list(_MESSAGE_COLUMNS),
            select(*(bindparam(f"m_{c.key}", type_=c.type) for c in columns)).select_from(taken),
        )
        .cte("message")
    )
    return select(
        select(touched.c.message_count).scalar_subquery(),
        select(taken.c.credits).scalar_subquery(),
    ).add_cte(entry, message)


_STORE_CHARGED = _store_charged_statement()


async def _store_outbound(
    session: AsyncSession,
    *,
    assistant: Assistant,
    conversation: Conversation,
    outbound: OutboundMessage,
    sender: str,
    author_id: str | None,
    idempotency_key: str | None,
    cost: int,
    message_id: str,
    status: str,
) -> Message:
    """The writes of an outbound message, as prebuilt statements (every send takes this path):
    the conversation's counters (its row lock, taken before the workspace's), the charge, the
    message. On PostgreSQL a charged message is one statement. Returns the message, persistent
    in the session without a read back."""
    now = utcnow()
    preview = _preview(outbound.readable())
    values: dict[str, Any] = dict.fromkeys(_MESSAGE_COLUMNS)
    values.update(
        id=message_id,
        created_at=now,
        assistant_id=assistant.id,
        conversation_id=conversation.id,
        channel=conversation.channel,
        direction="out",
        type=outbound.type,
        text=outbound.readable(),
        content=outbound.model_dump(mode="json", exclude_none=True),
        status=status,
        sender=sender,
        author_id=author_id,
        idempotency_key=idempotency_key,
        reply_to_external_id=outbound.reply_to,
        credits_charged=cost,
    )
    touch = {"conversation_id": conversation.id, "now": now, "preview": preview}
    charge = (
        billing.usage_params(
            workspace_id=assistant.workspace_id,
            credits=cost,
            reason=prices.outbound_reason(outbound.type),
            reference=f"msg:{message_id}",
            description=f"{outbound.type} message",
            now=now,
        )
        if cost
        else None
    )
    if charge is not None and session.get_bind().dialect.name == "postgresql":
        params = {**touch, **charge, **{f"m_{key}": value for key, value in values.items()}}
        count, balance = (await session.execute(_STORE_CHARGED, params)).one()
        if count is None:
            raise NotFound("Conversation not found.")
        await billing.settle_usage(session, assistant.workspace_id, cost, balance)
    else:
        count = await session.scalar(_TOUCH_CONVERSATION, touch)
        if count is None:
            raise NotFound("Conversation not found.")
        if charge is not None:
            await billing.charge_new(
                session,
                workspace_id=assistant.workspace_id,
                credits=cost,
                reason=charge["charge_reason"],
                reference=charge["charge_reference"],
                description=charge["charge_description"],
            )
        await session.execute(_INSERT_MESSAGE, values)
    set_committed_value(conversation, "last_message_at", now)
    set_committed_value(conversation, "last_message_preview", preview)
    set_committed_value(conversation, "message_count", count)
    message = Message(**values)
    make_transient_to_detached(message)
    session.add(message)  # persistent, every column known: no read back
    return message


async def record_sent(session: AsyncSession, message: Message, external_id: str) -> None:
    """The channel accepted the message: status, channel id, ``message.sent``."""
    now = utcnow()
    await session.execute(
        _MARK_SENT, {"message_id": message.id, "external_id": external_id, "now": now}
    )
    set_committed_value(message, "external_id", external_id)
    set_committed_value(message, "status", "sent")
    set_committed_value(message, "sent_at", now)
    conv = await session.get(Conversation, message.conversation_id)
    assert conv is not None
    await _emit_message(session, Event.MESSAGE_SENT, message, conv)


async def _refund(session: AsyncSession, message: Message) -> None:
    if message.credits_charged <= 0:
        return
    assistant = await session.get(Assistant, message.assistant_id)
    if assistant is None:
        return
    await billing.refund(
        session,
        workspace_id=assistant.workspace_id,
        reference=f"msg:{message.id}",
        description="Refund: message not sent",
    )


async def mark_failed(
    session: AsyncSession,
    message: Message,
    *,
    code: str,
    title: str,
    provider_code: int | None = None,
    refund: bool = True,
) -> None:
    if message.status == "failed":
        return
    message.status = "failed"
    message.error_code = code
    message.error_title = title[:300]
    message.meta_error_code = provider_code
    message.failed_at = utcnow()
    if refund:
        await _refund(session, message)
    await session.flush()
    conv = await session.get(Conversation, message.conversation_id)
    assert conv is not None
    await _emit_message(session, Event.MESSAGE_FAILED, message, conv)


async def deliver(session: AsyncSession, message_id: str) -> Message:
    """Send a queued message through its channel. Commits before calling the network.

    Safe to run twice: a message that already has a channel id is not sent again.
    Raises ChannelError (retryable) for the job to retry; permanent failures are recorded.
    """
    message = await session.get(Message, message_id, with_for_update=False)
    if message is None:
        raise PermanentError(f"message {message_id} no longer exists")
    if message.external_id or message.status in (*HANDED_TO_CHANNEL, MessageStatus.FAILED):
        return message
    channel_sender = get_sender(message.channel)
    if channel_sender is None:
        await mark_failed(
            session, message, code="CHANNEL_UNAVAILABLE", title=f"No {message.channel} channel"
        )
        return message
    message.status = "sending"
    await session.commit()  # release locks before the network call
    try:
        result = await channel_sender.send(session, message)
    except ChannelError as exc:
        if exc.retryable:
            message.status = "queued"
            await session.commit()
            raise
        await mark_failed(
            session, message, code=exc.code, title=exc.message, provider_code=exc.provider_code
        )
        return message
    await record_sent(session, message, result.external_id)
    return message


@task("channel.send", max_attempts=6, backoff_base=2.0, backoff_cap=300.0)
async def send_job(session: AsyncSession, payload: dict[str, Any]) -> None:
    message_id = str(payload["messageId"])
    try:
        await deliver(session, message_id)
    except ChannelError as exc:
        attempt = current_attempt.get()
        if attempt is None or attempt[0] < attempt[1]:
            raise
        # Out of attempts: say so on the message (and refund) instead of leaving it queued.
        message = await session.get(Message, message_id)
        if message is not None:
            await mark_failed(
                session, message, code=exc.code, title=exc.message, provider_code=exc.provider_code
            )


async def apply_status(
    session: AsyncSession,
    *,
    assistant_id: str,
    channel: str,
    external_id: str,
    status: str,
    timestamp: datetime | None = None,
    error_code: str | None = None,
    error_title: str | None = None,
    provider_code: int | None = None,
) -> Message | None:
    """Record a status the channel reported. Statuses never move backwards (a late
    ``delivered`` does not overwrite ``read``); ``failed`` wins unless already read. Only the
    assistant's own message: a status reported on one connection never touches another's."""
    message = await session.scalar(_by_external_id(assistant_id, channel, external_id))
    if message is None:
        return None
    when = ensure_utc(timestamp) if timestamp else utcnow()
    if status == "failed":
        if message.status in ("read", "failed"):
            return message
        await mark_failed(
            session,
            message,
            code=error_code or "DELIVERY_FAILED",
            title=error_title or "The message could not be delivered.",
            provider_code=provider_code,
            refund=False,  # the channel accepted it; the send happened
        )
        return message
    if status not in STATUS_RANK:
        return message
    if status in ("delivered", "read") and message.delivered_at is None:
        message.delivered_at = when
    if status == "read" and message.read_at is None:
        message.read_at = when
    if message.status == "failed" or STATUS_RANK.get(message.status, -1) >= STATUS_RANK[status]:
        await session.flush()
        return message
    message.status = status
    await session.flush()
    conv = await session.get(Conversation, message.conversation_id)
    assert conv is not None
    event = {
        "sent": Event.MESSAGE_SENT,
        "delivered": Event.MESSAGE_DELIVERED,
        "read": Event.MESSAGE_READ,
        "played": Event.MESSAGE_READ,
    }[status]
    await _emit_message(session, event, message, conv)
    return message


# -- inbox actions --------------------------------------------------------------------------


async def set_automation(session: AsyncSession, conv: Conversation, enabled: bool) -> Conversation:
    conv.automation_enabled = enabled
    if enabled:
        conv.needs_human = False
        conv.handoff_reason = None
    await session.flush()
    await _emit_conversation(session, conv)
    return conv


async def set_status(session: AsyncSession, conv: Conversation, status: str) -> Conversation:
    if status not in tuple(ConversationStatus):
        raise ValidationError("status must be open or closed.")
    changed = conv.status != status
    conv.status = status
    await session.flush()
    if changed:
        opened = status == "open"
        await _emit_conversation(
            session, conv, event=Event.CONVERSATION_OPENED if opened else Event.CONVERSATION_CLOSED
        )
    return conv


async def request_human(session: AsyncSession, conv: Conversation, reason: str) -> Conversation:
    """Hand the conversation to a person: automation off, flagged for the team."""
    conv.automation_enabled = False
    conv.needs_human = True
    conv.handoff_reason = reason[:200]
    await session.flush()
    await _emit_conversation(session, conv, event=Event.CONVERSATION_HANDED_OFF)
    return conv


async def mark_read(session: AsyncSession, conv: Conversation) -> None:
    if conv.unread_count:
        conv.unread_count = 0
        await session.flush()


async def _emit_conversation(
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


async def workspace_of(session: AsyncSession, conv: Conversation) -> Workspace:
    ws = await session.scalar(
        select(Workspace)
        .join(Assistant, Assistant.workspace_id == Workspace.id)
        .where(Assistant.id == conv.assistant_id)
    )
    assert ws is not None
    return ws


async def update_content(
    session: AsyncSession, message: Message, changes: dict[str, Any]
) -> Message:
    """Merge ``changes`` into a message's structured ``content`` (e.g. the stored file of an
    inbound media message, added once a channel job has downloaded it) and tell the inbox."""
    message.content = {**(message.content or {}), **changes}
    await session.flush()
    conv = await session.get(Conversation, message.conversation_id)
    assert conv is not None
    await _emit_message(session, Event.MESSAGE_UPDATED, message, conv)
    return message
