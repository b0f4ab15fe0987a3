"""The developer_api domain's jobs: ``webhooks.deliver`` makes one attempt of a delivery;
``developer_api.resume_sends`` (periodic) finishes API sends whose request died."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from repdesk.conversations.models import Message, MessageStatus
from repdesk.conversations.schemas import SendMessageJob
from repdesk.developer_api import webhooks
from repdesk.developer_api.schemas import DeliverWebhookJob, ResumeSendsJob
from repdesk.developer_api.sending import RESUME_EVERY_SECONDS, SEND_LEASE_SECONDS
from repdesk.jobs.registry import periodic, task
from repdesk.jobs.service import enqueue
from repdesk.kit.time import utcnow


@task(DeliverWebhookJob, max_attempts=3)
async def deliver_webhook(session: AsyncSession, job: DeliverWebhookJob) -> None:
    await webhooks.deliver(session, job.delivery_id)


@task(ResumeSendsJob, max_attempts=1)
async def resume_sends(session: AsyncSession, job: ResumeSendsJob) -> None:
    """API messages left ``sending`` by a request that died after its first commit go to the
    ordinary send job (once: they become ``queued``). Only the API's own messages: the other
    senders' messages in flight already have their job."""
    cutoff = utcnow() - timedelta(seconds=SEND_LEASE_SECONDS)
    left = list(
        await session.scalars(
            select(Message.id)
            .where(
                Message.status == MessageStatus.SENDING,
                Message.sender == "api",
                Message.created_at < cutoff,
            )
            .order_by(Message.created_at)
            .limit(500)
        )
    )
    for message_id in left:
        resumed = await session.execute(
            update(Message)
            .where(Message.id == message_id, Message.status == MessageStatus.SENDING)
            .values(status=MessageStatus.QUEUED)
            .execution_options(synchronize_session=False)
        )
        if getattr(resumed, "rowcount", 0):
            await enqueue(session, SendMessageJob(message_id=message_id))


periodic(ResumeSendsJob, every_seconds=RESUME_EVERY_SECONDS)
