"""The developer_api domain's jobs: ``webhooks.deliver`` makes one attempt of a delivery."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from repdesk.developer_api import webhooks
from repdesk.developer_api.schemas import DeliverWebhookJob
from repdesk.jobs.registry import task


@task(DeliverWebhookJob, max_attempts=3)
async def deliver_webhook(session: AsyncSession, job: DeliverWebhookJob) -> None:
    await webhooks.deliver(session, job.delivery_id)
