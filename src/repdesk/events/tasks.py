"""The events domain's jobs: ``events.dispatch`` runs an event's durable consumers."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from repdesk.events import service
from repdesk.events.schemas import DispatchEventJob
from repdesk.jobs.registry import task


@task(DispatchEventJob, max_attempts=5)
async def dispatch(session: AsyncSession, job: DispatchEventJob) -> None:
    await service.dispatch(session, job)
