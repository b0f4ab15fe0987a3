"""The files domain's jobs: ``files.collect``, periodic."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from repdesk.files.schemas import CollectFilesJob
from repdesk.files.service import COLLECT_EVERY_SECONDS, collect_unused
from repdesk.jobs.registry import periodic, task


@task(CollectFilesJob, max_attempts=1)
async def collect(session: AsyncSession, job: CollectFilesJob) -> None:
    await collect_unused(session)


periodic(CollectFilesJob, every_seconds=COLLECT_EVERY_SECONDS)
