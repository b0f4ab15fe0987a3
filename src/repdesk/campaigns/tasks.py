"""The campaigns domain's jobs: ``broadcasts.send`` handles a broadcast's next recipient."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from repdesk.campaigns import service
from repdesk.campaigns.schemas import SendBroadcastJob
from repdesk.jobs.registry import task


@task(SendBroadcastJob, max_attempts=10)
async def send_broadcast(session: AsyncSession, job: SendBroadcastJob) -> None:
    await service.send_next(session, job.broadcast_id)
