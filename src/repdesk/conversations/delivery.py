"""Getting a stored message to its channel, and what the channel says about it later.

A message queued by ``send`` is delivered by the ``channel.send`` job (:func:`deliver`); one
stored with ``Delivery.NOW`` by its own request (:func:`deliver_now`). Both take the same
steps through the channel's ``ChannelSender``: prepare (reads, in the transaction), commit,
post (the network call, no transaction open), record (:func:`record_sent` or
:func:`mark_failed`, with a refund). :func:`apply_status` records the channel's later reports
(sent, delivered, read, failed), never moving a status backwards.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import bindparam, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.attributes import set_committed_value

from repdesk.assistants.models import Assistant
from repdesk.billing import service as billing
from repdesk.channels.base import ChannelError, ChannelSender, SendResult, get_sender
from repdesk.conversations.base import by_external_id, emit_message
from repdesk.conversations.models import (
    HANDED_TO_CHANNEL,
    STATUS_RANK,
    Conversation,
    Message,
    MessageStatus,
)
from repdesk.db.base import table_of
from repdesk.db.engine import commit, commit_then
from repdesk.events.types import Event
from repdesk.jobs.registry import PermanentError
from repdesk.kit.time import ensure_utc, utcnow

_M = table_of(Message).c
_MARK_SENT = (
    update(table_of(Message))
    .where(_M.id == bindparam("message_id"))
    .values(
        status=MessageStatus.SENT, external_id=bindparam("external_id"), sent_at=bindparam("now")
    )
)


async def _post(
    session: AsyncSession, channel_sender: ChannelSender, message: Message
) -> SendResult:
    """Prepare (in the open transaction), commit, call the channel."""
    prepared = await channel_sender.prepare(session, message)
    return await commit_then(session, lambda: channel_sender.post(session, prepared))


def _sender_of(message: Message) -> ChannelSender:
    channel_sender = get_sender(message.channel)
    if channel_sender is None:
        raise ChannelError(f"No {message.channel} channel", code="CHANNEL_UNAVAILABLE")
    return channel_sender


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
    try:
        channel_sender = _sender_of(message)
        message.status = MessageStatus.SENDING
        result = await _post(session, channel_sender, message)
    except ChannelError as exc:
        if exc.retryable:
            message.status = MessageStatus.QUEUED
            await commit(session)
            raise
        await mark_failed(
            session, message, code=exc.code, title=exc.message, provider_code=exc.provider_code
        )
        return message
    await record_sent(session, message, result.external_id)
    return message


async def deliver_now(session: AsyncSession, message: Message) -> SendResult:
    """Deliver a message that ``send`` stored with ``Delivery.NOW``: prepare, commit (the
    caller's unit of work so far), call the channel. The caller then records the outcome in
    its next unit of work: :func:`record_sent`, or :func:`record_unsent` for the ChannelError
    this raises."""
    return await _post(session, _sender_of(message), message)


async def record_unsent(session: AsyncSession, message: Message, exc: ChannelError) -> None:
    """A message delivered now that the channel did not take. Its caller answers now, so the
    message must never go out later, even when trying again could have helped: it is failed
    and refunded."""
    await mark_failed(
        session,
        message,
        code=exc.code,
        title=(
            exc.message
            if not exc.retryable
            else f"The channel did not accept the message: {exc.message}"
        ),
        provider_code=exc.provider_code,
    )


async def record_sent(session: AsyncSession, message: Message, external_id: str) -> None:
    """The channel accepted the message: status, channel id, ``message.sent``."""
    now = utcnow()
    await session.execute(
        _MARK_SENT, {"message_id": message.id, "external_id": external_id, "now": now}
    )
    set_committed_value(message, "external_id", external_id)
    set_committed_value(message, "status", MessageStatus.SENT)
    set_committed_value(message, "sent_at", now)
    conv = await session.get(Conversation, message.conversation_id)
    assert conv is not None
    await emit_message(session, Event.MESSAGE_SENT, message, conv)


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
    if message.status == MessageStatus.FAILED:
        return
    message.status = MessageStatus.FAILED
    message.error_code = code
    message.error_title = title[:300]
    message.meta_error_code = provider_code
    message.failed_at = utcnow()
    if refund:
        await _refund(session, message)
    await session.flush()
    conv = await session.get(Conversation, message.conversation_id)
    assert conv is not None
    await emit_message(session, Event.MESSAGE_FAILED, message, conv)


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
    message = await session.scalar(by_external_id(assistant_id, channel, external_id))
    if message is None:
        return None
    when = ensure_utc(timestamp) if timestamp else utcnow()
    if status == MessageStatus.FAILED:
        if message.status in (MessageStatus.READ, MessageStatus.FAILED):
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
    if status in (MessageStatus.DELIVERED, MessageStatus.READ) and message.delivered_at is None:
        message.delivered_at = when
    if status == MessageStatus.READ and message.read_at is None:
        message.read_at = when
    behind = STATUS_RANK.get(message.status, -1) >= STATUS_RANK[status]
    if message.status == MessageStatus.FAILED or behind:
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
    await emit_message(session, event, message, conv)
    return message
