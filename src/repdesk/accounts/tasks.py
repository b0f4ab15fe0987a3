"""The accounts domain's jobs: ``email.send``."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from repdesk.accounts.email import deliver
from repdesk.accounts.schemas import SendEmailJob
from repdesk.jobs.registry import task


@task(SendEmailJob, max_attempts=6, backoff_base=10)
async def send_email(session: AsyncSession, job: SendEmailJob) -> None:
    await deliver(job.to, job.subject, job.body)
