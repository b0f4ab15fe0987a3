"""The one way to send a message: :func:`send`.

Every caller (the inbox, the AI reply, broadcasts, the Developer API; scheduled messages and
workflow steps next) says who gets what, from where, and calls :func:`send`. It resolves the
conversation (opening one for a template to a number that never wrote), refuses what the
service window and the channel's rules refuse before anything is written, prices the message
through ``billing.prices`` and charges it, stores it with its origin, and queues its delivery
on the conversation's channel, whatever that channel is (``channels.base.ChannelSender``).

The writes are prebuilt statements (ADR 7): on PostgreSQL a charged message is one statement
(the conversation's counters, the charge, its ledger row and the message).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from sqlalchemy import bindparam, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import make_transient_to_detached
from sqlalchemy.orm.attributes import set_committed_value

from repdesk.assistants.models import Assistant
from repdesk.billing import prices
from repdesk.billing import service as billing
from repdesk.channels.base import OutboundMessage, OutboundTemplate, get_sender
from repdesk.contacts import service as contact_service
from repdesk.contacts.models import Contact
from repdesk.conversations import variables
from repdesk.conversations.base import (
    ServiceWindowClosed,
    emit_message,
    get_or_create_conversation,
    lock_conversation,
    preview,
    window_open,
)
from repdesk.conversations.content import MessageContent
from repdesk.conversations.models import Conversation, Message, MessageStatus
from repdesk.conversations.schemas import SendMessageJob
from repdesk.db.base import table_of
from repdesk.events.types import Event
from repdesk.jobs.service import enqueue
from repdesk.kit.errors import NotFound, ValidationError
from repdesk.kit.ids import new_id
from repdesk.kit.time import utcnow


class Origin(StrEnum):
    """Who sends, recorded on the message as ``messages.sender`` (its name on the wire: the
    inbox's messages have always been ``agent``)."""

    INBOX = "agent"
    AI = "ai"
    BROADCAST = "broadcast"
    API = "api"
    WORKFLOW = "workflow"
    # The platform's own notices to a customer (the STOP/START confirmation Meta's rules
    # require): never charged.
    SYSTEM = "system"


class Delivery(StrEnum):
    """How the message reaches its channel once the caller's transaction commits."""

    # A ``channel.send`` job (retried with backoff).
    QUEUED = "queued"
    # The caller delivers it itself right after its commit, with ``deliver_now``, and answers
    # with the channel's outcome (the Developer API's synchronous send). The message is stored
    # ``sending``, with no job: should the request die, ``developer_api.resume_sends`` hands it
    # to the send job once no request can still be sending it.
    NOW = "now"


@dataclass(frozen=True, slots=True)
class Recipient:
    """Who gets the message: exactly one of a phone number (E.164), a contact, a conversation."""

    phone: str | None = None
    contact_id: str | None = None
    conversation_id: str | None = None

    def __post_init__(self) -> None:
        given = [v for v in (self.phone, self.contact_id, self.conversation_id) if v]
        if len(given) != 1:
            raise ValueError("a Recipient is one of phone, contact_id or conversation_id")


@dataclass(slots=True)
class Sent:
    message: Message
    conversation: Conversation
    # False: an earlier send with the same idempotency key made ``message``; nothing was
    # stored, charged or queued this time.
    created: bool


async def send(
    session: AsyncSession,
    *,
    assistant: Assistant,
    to: Recipient,
    content: MessageContent,
    origin: Origin,
    author: str | None = None,
    idempotency_key: str | None = None,
    paid_by: str | None = None,
    delivery: Delivery = Delivery.QUEUED,
) -> Sent:
    """Send ``content`` to ``to`` on the assistant's channel, in the caller's transaction.

    Raises ServiceWindowClosed (free-form outside the 24-hour window), the channel's
    validation errors (TEMPLATE_NOT_APPROVED, VALIDATION_ERROR ...), InsufficientCredits,
    NotFound for a recipient that is not the assistant's: nothing is written before them
    except, for a template to a new number, its contact and conversation, and the caller
    rolls back. A repeated ``idempotency_key`` returns the first message (``created`` False).
    ``paid_by`` names the ledger reference of a charge taken in this transaction that covers
    this message (the AI reply's ``ai:{messageId}``, one credit for all its messages): nothing
    more is charged for it. Otherwise the price is ``billing.prices.outbound_price``.
    A Workspace loaded in the session is left holding the balance after the charge.
    """
    conversation = await _resolve(
        session, assistant, to, starts=content.type == "template" or bool(content.fallback_template)
    )
    if idempotency_key:
        # Under the conversation's lock, so that a concurrent send with the same key waits
        # for this one and then finds its message.
        await lock_conversation(session, conversation.id)
        prior = await session.scalar(
            select(Message).where(
                Message.assistant_id == assistant.id, Message.idempotency_key == idempotency_key
            )
        )
        if prior is not None:
            return Sent(prior, conversation, created=False)
    outbound = await _outbound_for(session, conversation, content)
    await check_sendable(session, conversation, outbound)
    message = await _store(
        session,
        assistant=assistant,
        conversation=conversation,
        outbound=outbound,
        origin=origin,
        author_id=author,
        idempotency_key=idempotency_key,
        cost=0 if paid_by or origin == Origin.SYSTEM else prices.outbound_price(outbound.type),
        status=MessageStatus.SENDING if delivery == Delivery.NOW else MessageStatus.QUEUED,
    )
    if delivery == Delivery.QUEUED:
        await enqueue(session, SendMessageJob(message_id=message.id))
    await emit_message(session, Event.MESSAGE_QUEUED, message, conversation)
    return Sent(message, conversation, created=True)


async def _outbound_for(
    session: AsyncSession, conversation: Conversation, content: MessageContent
) -> OutboundMessage:
    """What goes to this recipient: the content, or its fallback template when the service
    window is closed, with the template's variables filled in from the recipient's contact."""
    template = content.template if content.type == "template" else None
    if content.fallback_template is not None and not window_open(conversation):
        channel_sender = get_sender(conversation.channel)
        if channel_sender is not None and channel_sender.requires_service_window:
            template = content.fallback_template
    if template is None:
        return content.outbound()
    components = template.components
    if template.variables:
        contact = (
            await session.get(Contact, conversation.contact_id) if conversation.contact_id else None
        )
        components = await variables.resolve(session, template, contact)
    return OutboundMessage(
        type="template",
        template=OutboundTemplate(
            name=template.name, language=template.language_code, components=components
        ),
    )


async def _resolve(
    session: AsyncSession, assistant: Assistant, to: Recipient, *, starts: bool
) -> Conversation:
    """The recipient's conversation (loaded rows come from the session: no statement).
    ``starts``: the content may open a conversation (a template, or a fallback template)."""
    if to.conversation_id:
        conv = await session.get(Conversation, to.conversation_id)
        if conv is None or conv.assistant_id != assistant.id:
            raise NotFound("Conversation not found.")
        return conv
    if to.contact_id:
        contact = await session.get(Contact, to.contact_id)
        if contact is None or contact.assistant_id != assistant.id:
            raise NotFound("Contact not found.")
        found = await session.scalar(
            select(Conversation).where(
                Conversation.assistant_id == assistant.id, Conversation.contact_id == contact.id
            )
        )
        if found is not None:
            return found
    else:
        assert to.phone is not None
        row = (
            await session.execute(
                select(Contact, Conversation)
                .outerjoin(
                    Conversation,
                    (Conversation.contact_id == Contact.id)
                    & (Conversation.assistant_id == assistant.id),
                )
                .where(Contact.assistant_id == assistant.id, Contact.phone == to.phone)
            )
        ).first()
        if row is not None and row[1] is not None:
            return row[1]
        contact = row[0] if row is not None else None
    channel = assistant.platform
    channel_sender = get_sender(channel)
    needs_window = channel_sender is not None and channel_sender.requires_service_window
    if needs_window and not starts:
        # Only a template may start a conversation (whoever it is addressed to).
        who = to.phone or (contact.phone if contact is not None else None) or "This contact"
        raise ServiceWindowClosed(
            f"{who} has not written to this number: the 24-hour service window is closed. "
            "Send an approved template to start the conversation."
        )
    if contact is None:
        if not to.phone:
            raise ValidationError("The recipient has no phone number.")
        contact = await contact_service.upsert(session, assistant=assistant, phone=to.phone)
    return await get_or_create_conversation(
        session, assistant=assistant, contact=contact, channel=channel
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


async def _store(
    session: AsyncSession,
    *,
    assistant: Assistant,
    conversation: Conversation,
    outbound: OutboundMessage,
    origin: Origin,
    author_id: str | None,
    idempotency_key: str | None,
    cost: int,
    status: str,
) -> Message:
    """The writes of an outbound message, as prebuilt statements: the conversation's counters
    (its row lock, taken before the workspace's), the charge, the message. On PostgreSQL a
    charged message is one statement. Returns the message, persistent in the session without
    a read back."""
    now = utcnow()
    message_id = new_id()
    readable = outbound.readable()
    shown = preview(readable)
    values: dict[str, Any] = dict.fromkeys(_MESSAGE_COLUMNS)
    values.update(
        id=message_id,
        created_at=now,
        assistant_id=assistant.id,
        conversation_id=conversation.id,
        channel=conversation.channel,
        direction="out",
        type=outbound.type,
        text=readable,
        content=outbound.model_dump(mode="json", exclude_none=True),
        status=status,
        sender=origin.value,
        author_id=author_id,
        idempotency_key=idempotency_key,
        reply_to_external_id=outbound.reply_to,
        credits_charged=cost,
    )
    touch = {"conversation_id": conversation.id, "now": now, "preview": shown}
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
    set_committed_value(conversation, "last_message_preview", shown)
    set_committed_value(conversation, "message_count", count)
    message = Message(**values)
    make_transient_to_detached(message)
    session.add(message)  # persistent, every column known: no read back
    return message
