"""The message pipeline's job: ``channel.send`` delivers a queued message to its channel."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from repdesk.channels.base import ChannelError
from repdesk.conversations.delivery import deliver, mark_failed
from repdesk.conversations.models import Message
from repdesk.conversations.schemas import SendMessageJob
from repdesk.jobs.registry import current_attempt, task


@task(SendMessageJob, max_attempts=6, backoff_base=2.0, backoff_cap=300.0)
async def send_job(session: AsyncSession, job: SendMessageJob) -> None:
    try:
        await deliver(session, job.message_id)
    except ChannelError as exc:
        attempt = current_attempt.get()
        if attempt is None or attempt[0] < attempt[1]:
            raise
        # Out of attempts: say so on the message (and refund) instead of leaving it queued.
        message = await session.get(Message, job.message_id)
        if message is not None:
            await mark_failed(
                session, message, code=exc.code, title=exc.message, provider_code=exc.provider_code
            )
