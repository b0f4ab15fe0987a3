"""Turning stored WhatsApp webhook events into conversation state: the WhatsApp handler of the
inbound intake (ADR 6, ADR 11). Messages become inbound messages (contacts and conversations
loaded for the whole batch), statuses update the messages they name, template updates the
templates of the connection that received them."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import ColumnElement, select
from sqlalchemy.ext.asyncio import AsyncSession

from repdesk.assistants.models import Assistant
from repdesk.channels.whatsapp.models import PROVIDER, WhatsAppConnection
from repdesk.channels.whatsapp.parser import (
    InboundMessage,
    ParsedWebhook,
    TemplateStatusUpdate,
    parse,
)
from repdesk.channels.whatsapp.schemas import DownloadMediaJob
from repdesk.channels.whatsapp.templates import apply_template_status
from repdesk.conversations import service as conversations
from repdesk.conversations.models import Message
from repdesk.inbound.registry import ReceivedEvent, register_handler
from repdesk.jobs.service import enqueue

CHANNEL = "whatsapp"


@dataclass
class WebhookResult:
    stored: int = 0
    duplicates: int = 0
    statuses: int = 0
    templates: int = 0
    ignored: int = 0


def meta_error_code(provider_code: int | None) -> str:
    return "SERVICE_WINDOW_CLOSED" if provider_code == 131047 else "META_API_ERROR"


async def process_webhook(
    session: AsyncSession,
    parsed: ParsedWebhook,
    connections: dict[str, WhatsAppConnection],
    templates: Sequence[tuple[TemplateStatusUpdate, WhatsAppConnection]] = (),
) -> WebhookResult:
    """Store the messages and statuses of webhook items, for the connections they may address
    (by phone number id), and apply each template update to the connection it was received
    for. Idempotent: redelivered messages are stored once (unique on the wamid within the
    assistant: the same wamid at another assistant is not a redelivery)."""
    result = WebhookResult()
    # Redeliveries are common (Meta retries, several subscribed apps): one query finds every
    # wamid of this POST that is already stored. The unique constraint still decides races.
    wamids = [m.wamid for m in parsed.messages]
    known: set[tuple[str, str]] = set()
    if wamids:
        rows = await session.execute(
            select(Message.assistant_id, Message.external_id).where(
                Message.channel == CHANNEL, Message.external_id.in_(wamids)
            )
        )
        known = {(a, w) for a, w in rows if w}
    # Group the new messages by assistant (keeping their order) and store each group with
    # one batch of statements.
    batches: dict[str, list[InboundMessage]] = {}
    for msg in parsed.messages:
        conn = connections.get(msg.phone_number_id)
        if conn is None or not msg.sender:
            result.ignored += 1
            continue
        if (conn.assistant_id, msg.wamid) in known:
            result.duplicates += 1
            continue
        known.add((conn.assistant_id, msg.wamid))
        batches.setdefault(conn.assistant_id, []).append(msg)
    for assistant_id, msgs in batches.items():
        assistant = await session.get(Assistant, assistant_id)
        if assistant is None:
            result.ignored += len(msgs)
            continue
        stored = await conversations.record_inbound_many(
            session,
            assistant=assistant,
            channel=CHANNEL,
            items=[
                conversations.NewInbound(
                    type=msg.type,
                    text=msg.text,
                    content=msg.content,
                    external_id=msg.wamid,
                    sent_at=msg.timestamp,
                    phone=msg.sender,
                    name=msg.name,
                    reply_to_external_id=msg.reply_to,
                    # Voice notes wait for transcription (message.media_stored); reactions
                    # never ask the AI.
                    trigger_ai=msg.type not in ("audio", "reaction"),
                )
                for msg in msgs
            ],
        )
        result.stored += len(stored)
        for msg, inbound in zip(msgs, stored, strict=True):
            if msg.media is not None:
                await enqueue(
                    session,
                    DownloadMediaJob(message_id=inbound.message.id, media_id=msg.media.media_id),
                )
    for st in parsed.statuses:
        status_conn = connections.get(st.phone_number_id)
        if status_conn is None:
            result.ignored += 1
            continue
        await conversations.apply_status(
            session,
            assistant_id=status_conn.assistant_id,
            channel=CHANNEL,
            external_id=st.wamid,
            status=st.status,
            timestamp=st.timestamp,
            error_code=meta_error_code(st.error_code) if st.status == "failed" else None,
            error_title=(st.error_title or st.error_details) if st.status == "failed" else None,
            provider_code=st.error_code,
        )
        result.statuses += 1
    for tpl, tpl_conn in templates:
        result.templates += await apply_template_status(session, tpl, tpl_conn)
    return result


async def handle(session: AsyncSession, events: Sequence[ReceivedEvent]) -> None:
    """The intake's handler for ``whatsapp`` events: one :func:`process_webhook` for the
    batch. Events of a connection removed since they were stored are dropped."""
    ids = {ev.account_id for ev in events}
    conns = {
        c.id: c
        for c in await session.scalars(
            select(WhatsAppConnection).where(WhatsAppConnection.id.in_(ids))
        )
    }
    merged = ParsedWebhook()
    templates: list[tuple[TemplateStatusUpdate, WhatsAppConnection]] = []
    for ev in events:
        conn = conns.get(ev.account_id)
        if conn is None:
            continue
        one = parse(ev.payload)
        merged.messages += one.messages
        merged.statuses += one.statuses
        # A template update applies to the connection it was stored for (messages and
        # statuses name their number, which belongs to one connection).
        templates += [(t, conn) for t in one.templates]
    by_number = {c.phone_number_id: c for c in conns.values()}
    await process_webhook(session, merged, by_number, templates)


def connection_exists(account_ref: ColumnElement[str]) -> ColumnElement[str]:
    """The account check of stored events: the connection's id, NULL once it is removed."""
    c = WhatsAppConnection
    return select(c.id).where(c.id == account_ref).scalar_subquery()


register_handler(PROVIDER, handle, account_check=connection_exists)
