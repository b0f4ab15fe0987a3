"""Broadcasts: accepted at once, then sent one recipient at a time by the ``broadcasts.send`` job
(``campaigns.tasks``).

Each recipient's message goes through ``conversations.send(origin=Origin.BROADCAST)``, so it is
charged, stored and sent like any other message (one ``channel.send`` job each); a pause
between recipients protects the number's quality rating (the seed: "not a bulk send").
Free-form content goes only to recipients whose 24-hour window is open; the others are skipped
with the reason. Sandbox broadcasts validate the same way and send nothing.
"""

from __future__ import annotations

import logging
from collections import Counter

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from repdesk.assistants.models import Assistant
from repdesk.campaigns.config import get_campaign_settings
from repdesk.campaigns.models import Broadcast, BroadcastRecipient
from repdesk.campaigns.schemas import (
    BroadcastProgress,
    BroadcastRead,
    BroadcastRecipientRead,
    SendBroadcastJob,
)
from repdesk.channels.base import OutboundMessage, get_sender
from repdesk.contacts import service as contacts
from repdesk.contacts.models import Contact
from repdesk.conversations import service as conversations
from repdesk.conversations.models import (
    HANDED_TO_CHANNEL,
    Conversation,
    ConversationStatus,
    Message,
    MessageStatus,
)
from repdesk.events.service import emit
from repdesk.events.types import BroadcastData, Event
from repdesk.jobs.service import enqueue
from repdesk.kit.errors import AppError, NotFound, ValidationError
from repdesk.kit.phones import normalize_phone
from repdesk.kit.time import utcnow

log = logging.getLogger("repdesk.broadcasts")

CHANNEL = "whatsapp"
PROGRESS_KEYS = ("queued", "sent", "delivered", "read", "failed", "skipped")


async def create(
    session: AsyncSession,
    *,
    assistant: Assistant,
    outbound: OutboundMessage,
    recipients: list[str],
    name: str | None = None,
    sandbox: bool = False,
    created_by: str | None = None,
) -> Broadcast:
    """Validate everything up front (phones, template approval), store, enqueue the sender."""
    limit = get_campaign_settings().broadcast_max_recipients
    phones: list[str] = []
    seen: set[str] = set()
    for raw in recipients:
        phone = normalize_phone(raw)
        if phone not in seen:
            seen.add(phone)
            phones.append(phone)
    if not phones:
        raise ValidationError("recipients: at least one phone number is needed.")
    if len(phones) > limit:
        raise ValidationError(f"recipients: at most {limit} per broadcast.")
    sender = get_sender(CHANNEL)
    if sender is not None and outbound.type == "template":
        probe = Conversation(
            assistant_id=assistant.id, channel=CHANNEL, status=ConversationStatus.OPEN
        )
        await sender.validate(session, probe, outbound)
    broadcast = Broadcast(
        workspace_id=assistant.workspace_id,
        assistant_id=assistant.id,
        name=name,
        content=outbound.model_dump(mode="json", exclude_none=True),
        status="queued",
        sandbox=sandbox,
        recipient_count=len(phones),
        created_by=created_by,
    )
    session.add(broadcast)
    await session.flush()
    session.add_all(
        BroadcastRecipient(broadcast_id=broadcast.id, phone=p, status="pending") for p in phones
    )
    await session.flush()
    await enqueue(session, SendBroadcastJob(broadcast_id=broadcast.id))
    return broadcast


def require_whatsapp(assistant: Assistant) -> Assistant:
    """Broadcasts go out on WhatsApp (templates, the 24-hour window): a 404 for other assistants."""
    if assistant.platform != CHANNEL:
        raise NotFound("Broadcasts are available for WhatsApp assistants.")
    return assistant


async def _one_or_404(session: AsyncSession, *where: ColumnElement[bool]) -> Broadcast:
    broadcast = await session.scalar(select(Broadcast).where(*where))
    if broadcast is None:
        raise NotFound("Broadcast not found.")
    return broadcast


async def get_or_404(session: AsyncSession, *, assistant_id: str, broadcast_id: str) -> Broadcast:
    return await _one_or_404(
        session, Broadcast.id == broadcast_id, Broadcast.assistant_id == assistant_id
    )


async def get_for_workspace_or_404(
    session: AsyncSession, *, workspace_id: str, broadcast_id: str
) -> Broadcast:
    return await _one_or_404(
        session, Broadcast.id == broadcast_id, Broadcast.workspace_id == workspace_id
    )


async def list_for_assistant(session: AsyncSession, *, assistant_id: str) -> list[Broadcast]:
    rows = await session.scalars(
        select(Broadcast)
        .where(Broadcast.assistant_id == assistant_id)
        .order_by(Broadcast.id.desc())
    )
    return list(rows)


def _effective(recipient_status: str, message_status: str | None) -> str:
    if recipient_status == "pending":
        return "queued"
    if recipient_status in ("skipped", "failed", "sent"):  # sent: sandbox
        return recipient_status
    if message_status in (*HANDED_TO_CHANNEL, MessageStatus.FAILED):
        return message_status
    return "queued"  # a message waiting for its channel.send


async def progress(session: AsyncSession, broadcast: Broadcast) -> dict[str, int]:
    rows = await session.execute(
        select(BroadcastRecipient.status, Message.status, func.count())
        .outerjoin(Message, Message.id == BroadcastRecipient.message_id)
        .where(BroadcastRecipient.broadcast_id == broadcast.id)
        .group_by(BroadcastRecipient.status, Message.status)
    )
    counts: Counter[str] = Counter()
    for rstatus, mstatus, n in rows:
        counts[_effective(rstatus, mstatus)] += int(n)
    return {k: counts.get(k, 0) for k in PROGRESS_KEYS}


async def recipients(
    session: AsyncSession, broadcast: Broadcast, *, limit: int = 1000
) -> list[BroadcastRecipientRead]:
    rows = await session.execute(
        select(BroadcastRecipient, Message.status)
        .outerjoin(Message, Message.id == BroadcastRecipient.message_id)
        .where(BroadcastRecipient.broadcast_id == broadcast.id)
        .order_by(BroadcastRecipient.id)
        .limit(limit)
    )
    return [
        BroadcastRecipientRead(
            phone=r.phone,
            status=_effective(r.status, mstatus),
            reason=r.reason,
            message_id=r.message_id,
        )
        for r, mstatus in rows
    ]


async def read(
    session: AsyncSession, broadcast: Broadcast, *, with_recipients: bool = False
) -> BroadcastRead:
    """The broadcast with its progress (and, for one broadcast's page, each recipient)."""
    return BroadcastRead(
        broadcast_id=broadcast.id,
        status=broadcast.status,
        recipient_count=broadcast.recipient_count,
        type=broadcast.content.get("type"),
        name=broadcast.name,
        sandbox=broadcast.sandbox,
        created_at=broadcast.created_at,
        completed_at=broadcast.completed_at,
        progress=BroadcastProgress(**await progress(session, broadcast)),
        recipients=(await recipients(session, broadcast) if with_recipients else None),
    )


async def _send_one(
    session: AsyncSession, broadcast: Broadcast, recipient: BroadcastRecipient
) -> None:
    outbound = OutboundMessage.model_validate(broadcast.content)
    assistant = await session.get(Assistant, broadcast.assistant_id)
    assert assistant is not None
    if await contacts.is_opted_out(session, assistant_id=assistant.id, phone=recipient.phone):
        recipient.status = "skipped"
        recipient.reason = "CONTACT_OPTED_OUT: the contact opted out of marketing messages."
        return
    if broadcast.sandbox:
        # Nothing is sent: only say what a live broadcast would have skipped.
        row = (
            await session.execute(
                select(Conversation)
                .join(Contact, Contact.id == Conversation.contact_id)
                .where(Contact.assistant_id == assistant.id, Contact.phone == recipient.phone)
            )
        ).first()
        if outbound.type != "template" and (row is None or not conversations.window_open(row[0])):
            _skip(recipient)
        else:
            recipient.status = "sent"
            recipient.reason = "sandbox: nothing was sent"
        return
    try:
        async with session.begin_nested():
            sent = await conversations.send(
                session,
                assistant=assistant,
                to=conversations.Recipient(phone=recipient.phone),
                content=conversations.MessageContent.of(outbound),
                origin=conversations.Origin.BROADCAST,
                idempotency_key=f"broadcast:{recipient.id}",
            )
    except conversations.ServiceWindowClosed:
        _skip(recipient)
        return
    except AppError as exc:
        recipient.status = "failed"
        recipient.reason = f"{exc.code}: {exc.message}"[:300]
        return
    recipient.status = "queued"
    recipient.message_id = sent.message.id


def _skip(recipient: BroadcastRecipient) -> None:
    recipient.status = "skipped"
    recipient.reason = "SERVICE_WINDOW_CLOSED: the 24-hour service window is not open."


async def send_next(session: AsyncSession, broadcast_id: str) -> None:
    """Handle the next pending recipient, then schedule the one after (after a pause): the
    ``broadcasts.send`` job."""
    broadcast = await session.get(Broadcast, broadcast_id)
    if broadcast is None or broadcast.status in ("completed", "cancelled"):
        return
    recipient = await session.scalar(
        select(BroadcastRecipient)
        .where(
            BroadcastRecipient.broadcast_id == broadcast.id, BroadcastRecipient.status == "pending"
        )
        .order_by(BroadcastRecipient.id)
        .limit(1)
    )
    if recipient is None:
        broadcast.status = "completed"
        broadcast.completed_at = utcnow()
        await session.flush()
        await emit(
            session,
            Event.BROADCAST_COMPLETED,
            BroadcastData(
                id=broadcast.id,
                name=broadcast.name or "",
                status=broadcast.status,
                counts=await progress(session, broadcast),
            ),
            workspace_id=broadcast.workspace_id,
            assistant_id=broadcast.assistant_id,
        )
        return
    broadcast.status = "sending"
    await _send_one(session, broadcast, recipient)
    recipient.handled_at = utcnow()
    delay = (
        0.0 if recipient.status == "skipped" else get_campaign_settings().broadcast_delay_seconds
    )
    await enqueue(session, SendBroadcastJob(broadcast_id=broadcast.id), delay=delay)
