"""Keeping contacts' computed attributes current, one event at a time (formulas:
``repdesk.contacts.computed``).

Inline consumers (they run in the emitting transaction): the message and conversation ones find
the contact and conversation already loaded in the session (the emitter read them to build the
event), change a few of its columns in memory and add nothing but those columns to the
contact's UPDATE; the order ones run one aggregate over the contact's orders.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import case, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from repdesk.assistants.models import Assistant
from repdesk.catalog.models import Product
from repdesk.contacts import computed, optout
from repdesk.contacts.models import Contact
from repdesk.contacts.sentiment import score_text
from repdesk.conversations.models import Conversation
from repdesk.events.service import on_event
from repdesk.events.types import Event
from repdesk.kit.time import utcnow
from repdesk.orders.models import Order, OrderStatus, PaymentStatus

REFRESH_EVERY_SECONDS = 3600


async def _conversation_and_contact(
    session: AsyncSession, conversation_id: str
) -> tuple[Conversation, Contact] | None:
    conv = await session.get(Conversation, conversation_id)
    if conv is None:
        return None
    contact = await session.get(Contact, conv.contact_id)
    return (conv, contact) if contact is not None else None


@on_event((Event.MESSAGE_RECEIVED,), name="contacts.inbound", inline=True)
async def on_inbound(session: AsyncSession, envelope: dict[str, Any]) -> None:
    """Inbound: reply rate, sentiment, engagement; STOP/START on WhatsApp. (The message count
    and last message date are the inbound path's own counters.)"""
    data = envelope["data"]
    found = await _conversation_and_contact(session, str(data["conversationId"]))
    if found is None:
        return
    conv, contact = found
    now = utcnow()
    if contact.awaiting_reply:
        contact.awaiting_reply = False
        contact.replies_count = (contact.replies_count or 0) + 1
    text = str(data.get("text") or "")
    message_score = score_text(text) if text else None
    if message_score is not None:
        contact.sentiment_score = computed.next_sentiment(contact.sentiment_score, message_score)
        contact.sentiment = computed.sentiment_label(contact.sentiment_score)
    contact.engagement_score = computed.engagement_of(contact, now)
    if data.get("channel") == "whatsapp" and text:
        assistant = await session.get(Assistant, conv.assistant_id)
        if assistant is not None and optout.keyword_action(assistant, text) is not None:
            await optout.handle_inbound(
                session,
                assistant=assistant,
                conversation=conv,
                contact=contact,
                message_id=str(data["id"]),
                text=text,
            )


@on_event((Event.MESSAGE_SENT,), name="contacts.outbound", inline=True)
async def on_outbound(session: AsyncSession, envelope: dict[str, Any]) -> None:
    """An outbound message the channel accepted: outbound count, last contacted, prompts."""
    found = await _conversation_and_contact(session, str(envelope["data"]["conversationId"]))
    if found is None:
        return
    _conv, contact = found
    now = utcnow()
    contact.outbound_count = (contact.outbound_count or 0) + 1
    contact.last_contacted_at = now
    if not contact.awaiting_reply:
        contact.awaiting_reply = True
        contact.prompts_count = (contact.prompts_count or 0) + 1
    contact.engagement_score = computed.engagement_of(contact, now)


@on_event((Event.CONVERSATION_OPENED,), name="contacts.conversation_opened", inline=True)
async def on_conversation_opened(session: AsyncSession, envelope: dict[str, Any]) -> None:
    contact = await session.get(Contact, str(envelope["data"]["contactId"]))
    if contact is not None:
        contact.conversations_count = (contact.conversations_count or 0) + 1


@on_event(
    (Event.ORDER_CREATED, Event.ORDER_UPDATED, Event.ORDER_PAID),
    name="contacts.orders",
    inline=True,
)
async def on_order(session: AsyncSession, envelope: dict[str, Any]) -> None:
    order = await session.get(Order, str(envelope["data"]["id"]))
    if order is not None and order.contact_id and not order.test:
        await refresh_orders(session, order.contact_id, order.assistant_id)


async def refresh_orders(session: AsyncSession, contact_id: str, assistant_id: str) -> None:
    """Orders count, total spent, total paid, last order date and budget range of one contact,
    from its orders (a handful of rows: this runs per order event, not per message)."""
    counted = (
        (Order.contact_id == contact_id) & (Order.status != OrderStatus.CANCELLED) & (~Order.test)
    )
    count, spent, paid, last = (
        await session.execute(
            select(
                func.count(),
                func.coalesce(func.sum(Order.total), 0),
                func.coalesce(
                    func.sum(
                        case((Order.payment_status == PaymentStatus.PAID, Order.total), else_=0)
                    ),
                    0,
                ),
                func.max(Order.created_at),
            ).where(counted)
        )
    ).one()
    items = [
        item
        for order_items in await session.scalars(select(Order.items).where(counted))
        for item in order_items or []
    ]
    contact = await session.get(Contact, contact_id)
    if contact is None:
        return
    contact.orders_count = int(count)
    contact.total_spent = int(spent)
    contact.total_paid = int(paid)
    contact.last_order_at = last
    contact.budget_range = await _budget_range(session, assistant_id, items)


async def _budget_range(
    session: AsyncSession, assistant_id: str, items: list[dict[str, Any]]
) -> str | None:
    prices = [int(i["unitPrice"]) for i in items if isinstance(i.get("unitPrice"), int)]
    if not prices:
        return None
    catalog = sorted(
        await session.scalars(select(Product.price).where(Product.assistant_id == assistant_id))
    )
    if len(catalog) < 3:
        return None
    terciles = (catalog[len(catalog) // 3], catalog[(2 * len(catalog)) // 3])
    return computed.budget_range(sum(prices) / len(prices), terciles)


async def refresh_engagement(session: AsyncSession) -> None:
    """Recency decays with time: recompute the engagement of every contact who wrote within
    the recency window (and one more hour, to reach 0), in batches, writing only changes."""
    now = utcnow()
    since = now - timedelta(days=computed.RECENCY_DAYS, seconds=2 * REFRESH_EVERY_SECONDS)
    last_id = ""
    while True:
        rows = (
            await session.execute(
                select(
                    Contact.id,
                    Contact.last_message_at,
                    Contact.message_count,
                    Contact.prompts_count,
                    Contact.replies_count,
                    Contact.engagement_score,
                )
                .where(Contact.last_message_at >= since, Contact.id > last_id)
                .order_by(Contact.id)
                .limit(2000)
            )
        ).all()
        if not rows:
            return
        changes = []
        for cid, last_at, messages, prompts, replies, current in rows:
            score = computed.engagement(
                last_message_at=last_at,
                message_count=messages,
                prompts_count=prompts,
                replies_count=replies,
                now=now,
            )
            if score != current:
                changes.append({"id": cid, "engagement_score": score})
        if changes:
            await session.execute(update(Contact), changes)
        last_id = rows[-1][0]
