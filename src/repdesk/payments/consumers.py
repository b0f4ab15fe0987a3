"""When an order is taken in a conversation, its payment is offered there (a job: creating
the link is a call to Paystack, never made in the order's own transaction)."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from repdesk.events.service import on_event
from repdesk.events.types import Event
from repdesk.jobs.service import enqueue
from repdesk.payments.schemas import OfferPaymentJob


@on_event((Event.ORDER_CREATED,), name="payments.offer", inline=True)
async def on_order_created(session: AsyncSession, envelope: dict[str, Any]) -> None:
    data = envelope["data"]
    if data.get("conversationId") and not data.get("test"):
        await enqueue(session, OfferPaymentJob(order_id=str(data["id"])))
