"""The ``schedules.send`` job's work: send one due scheduled message, once.

The job first claims the message with a conditional UPDATE (still ``scheduled``, still due at
the job's ``send_at``): on PostgreSQL that locks the row, on SQLite it takes the write lock, so
an edit or a cancel committed before it makes the job do nothing, and one that comes after
finds the message no longer ``scheduled``. Two workers holding a job each for the same message
(an edit moved its time back and forth) are serialised the same way; the idempotency key
``schedule:{id}`` makes a second ``conversations.send`` return the first message in any case.

A job that sent its own message also takes other messages already due (up to
``REPDESK_SCHEDULE_BATCH_SIZE``, for at most ``REPDESK_SCHEDULE_BATCH_SECONDS``), claimed the
same way, each in a savepoint of its own: a refusal fails only that message.
"""

from __future__ import annotations

import logging
import time
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from repdesk.accounts import service as accounts
from repdesk.accounts.email import queue_email
from repdesk.assistants.models import Assistant
from repdesk.campaigns.scheduled.config import get_schedule_settings
from repdesk.campaigns.scheduled.models import ScheduledMessage, ScheduleState
from repdesk.campaigns.scheduled.schemas import SendScheduledJob
from repdesk.config import get_settings
from repdesk.conversations import service as conversations
from repdesk.jobs.registry import current_attempt
from repdesk.kit.errors import AppError
from repdesk.kit.time import utcnow

log = logging.getLogger("repdesk.schedules")


async def _claim(session: AsyncSession, job: SendScheduledJob) -> ScheduledMessage | None:
    """The job's own message, if it is still ``scheduled`` at the job's time."""
    claimed = await session.scalar(
        update(ScheduledMessage)
        .where(
            ScheduledMessage.id == job.schedule_id,
            ScheduledMessage.state == ScheduleState.SCHEDULED,
            ScheduledMessage.send_at == job.send_at,
        )
        .values(updated_at=utcnow())
        .returning(ScheduledMessage.id)
        .execution_options(synchronize_session=False)
    )
    if claimed is None:
        return None  # sent, failed, cancelled, or moved to another time (its own job)
    return await session.get(ScheduledMessage, claimed, populate_existing=True)


async def _claim_due(
    session: AsyncSession, *, limit: int, now: datetime, besides: str
) -> list[ScheduledMessage]:
    """Up to ``limit`` other messages already due, claimed for this job's transaction (their own
    jobs will find them handled): a minute with thousands due commits once per batch, not once
    per message. On PostgreSQL other workers skip the rows this one holds."""
    due = (
        select(ScheduledMessage.id)
        .where(
            ScheduledMessage.state == ScheduleState.SCHEDULED,
            ScheduledMessage.send_at <= now,
            ScheduledMessage.id != besides,
        )
        .order_by(ScheduledMessage.send_at)
        .limit(limit)
    )
    if session.get_bind().dialect.name != "sqlite":
        due = due.with_for_update(skip_locked=True)
    ids = list(
        await session.scalars(
            update(ScheduledMessage)
            .where(
                ScheduledMessage.id.in_(due.scalar_subquery()),
                ScheduledMessage.state == ScheduleState.SCHEDULED,
            )
            .values(updated_at=now)
            .returning(ScheduledMessage.id)
            .execution_options(synchronize_session=False)
        )
    )
    if not ids:
        return []
    rows = await session.scalars(
        select(ScheduledMessage)
        .where(ScheduledMessage.id.in_(ids))
        .order_by(ScheduledMessage.send_at)
        .execution_options(populate_existing=True)
    )
    return list(rows)


async def send_due(session: AsyncSession, job: SendScheduledJob) -> None:
    row = await _claim(session, job)
    if row is None:
        return
    settings = get_schedule_settings()
    rows = [row]
    if settings.schedule_batch_size > 1:
        rows += await _claim_due(
            session, limit=settings.schedule_batch_size - 1, now=utcnow(), besides=row.id
        )
    started = time.monotonic()
    for n, each in enumerate(rows):
        if n and time.monotonic() - started > settings.schedule_batch_seconds:
            # Long transactions hold the workspace's credit row while other workers queue for
            # it, and a job past its lease is rolled back whole: the rest stay scheduled, each
            # sent by its own job.
            break
        await _send_one(session, each, late_after=settings.schedule_late_seconds)


async def _send_one(session: AsyncSession, row: ScheduledMessage, *, late_after: float) -> None:
    now = utcnow()
    row.handled_at = now
    row.late = (now - row.send_at).total_seconds() > late_after
    assistant = await session.get(Assistant, row.assistant_id)
    assert assistant is not None  # the schedule cascades with its assistant
    to = (
        conversations.Recipient(contact_id=row.contact_id)
        if row.contact_id
        else conversations.Recipient(phone=row.phone)
    )
    try:
        content = conversations.MessageContent.model_validate(row.content)
        async with session.begin_nested():
            sent = await conversations.send(
                session,
                assistant=assistant,
                to=to,
                content=content,
                origin=conversations.Origin.INBOX,  # the owner's message, sent later
                author=row.created_by,
                idempotency_key=f"schedule:{row.id}",
            )
    except AppError as exc:
        await _failed(session, row, assistant, exc.code, exc.message)
        return
    except Exception as exc:
        attempt = current_attempt.get()
        if attempt is None or attempt[0] < attempt[1]:
            raise  # retried with backoff: every message of the batch stays scheduled
        log.exception("scheduled message %s could not be sent", row.id)
        await _failed(session, row, assistant, "INTERNAL_ERROR", f"{type(exc).__name__}: {exc}")
        return
    row.state = ScheduleState.SENT
    row.message_id = sent.message.id
    row.error_code = row.error_message = None


async def _failed(
    session: AsyncSession, row: ScheduledMessage, assistant: Assistant, code: str, message: str
) -> None:
    """Record the refusal on the message (the Schedule list shows it) and tell the owners."""
    row.state = ScheduleState.FAILED
    row.error_code = code[:60]
    row.error_message = message[:300]
    await session.flush()
    who = row.phone or "a contact"
    link = f"{get_settings().public_url.rstrip('/')}/assistants/{assistant.id}/schedule"
    for email in await accounts.workspace_owner_emails(session, assistant.workspace_id):
        await queue_email(
            session,
            to=email,
            subject=f"A scheduled message was not sent ({assistant.name})",
            body=(
                f"The message scheduled for {row.send_at:%Y-%m-%d %H:%M} UTC to {who} was not "
                f"sent: {code}: {message}\n\nSee the schedule: {link}"
            ),
        )
