"""The ``broadcasts.send`` job: one recipient per run, then the next after a pause.

A pause between recipients protects the number's quality rating (the seed: "not a bulk send");
skipped recipients (nothing went out) need none. The recipient's send itself is
``service._send_one``.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from repdesk.campaigns.config import get_campaign_settings
from repdesk.campaigns.models import Broadcast, BroadcastRecipient
from repdesk.campaigns.service import _send_one, progress
from repdesk.events.service import emit
from repdesk.events.types import BroadcastData, Event
from repdesk.jobs.registry import task
from repdesk.jobs.service import enqueue
from repdesk.kit.time import utcnow


@task("broadcasts.send", max_attempts=10)
async def send_next(session: AsyncSession, payload: dict[str, Any]) -> None:
    """Handle the next pending recipient, then schedule the one after (after a pause)."""
    broadcast = await session.get(Broadcast, str(payload["broadcastId"]))
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
    await enqueue(session, "broadcasts.send", {"broadcastId": broadcast.id}, delay=delay)
