"""The contacts domain's jobs: ``contacts.import`` (a CSV, a chunk per run) and
``contacts.refresh_engagement`` (periodic: engagement decays with time)."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from repdesk.contacts import consumers, imports
from repdesk.contacts.schemas import ImportContactsJob, RefreshEngagementJob
from repdesk.jobs.registry import periodic, task


@task(ImportContactsJob, max_attempts=5)
async def import_contacts(session: AsyncSession, job: ImportContactsJob) -> None:
    await imports.run_chunk(session, job.import_id)


@task(RefreshEngagementJob, max_attempts=3)
async def refresh_engagement(session: AsyncSession, job: RefreshEngagementJob) -> None:
    await consumers.refresh_engagement(session)


periodic(RefreshEngagementJob, every_seconds=consumers.REFRESH_EVERY_SECONDS)
