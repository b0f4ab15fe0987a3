"""The scheduled messages' job: ``schedules.send``, due at each message's time."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from repdesk.campaigns.scheduled import sending
from repdesk.campaigns.scheduled.schemas import SendScheduledJob
from repdesk.jobs.registry import task


@task(SendScheduledJob, max_attempts=8, backoff_base=5)
async def send_scheduled(session: AsyncSession, job: SendScheduledJob) -> None:
    await sending.send_due(session, job)
