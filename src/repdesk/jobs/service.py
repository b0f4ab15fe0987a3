"""Enqueueing jobs. Always in the caller's session: the job exists exactly when its cause does.

``await enqueue(session, SomePayload(...))``: the payload model names the kind (see
``jobs.registry``) and was validated when it was built.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from repdesk.db.base import table_of
from repdesk.db.engine import JOBS_DUE_IN, JOBS_ENQUEUED
from repdesk.db.upsert import insert_ignore
from repdesk.jobs.models import Job
from repdesk.jobs.registry import TASKS, JobPayload
from repdesk.kit.time import utcnow


def _max_attempts(kind: str) -> int:
    spec = TASKS.get(kind)
    return spec.max_attempts if spec else 5


async def enqueue(
    session: AsyncSession,
    job: JobPayload,
    *,
    run_at: datetime | None = None,
    delay: float | None = None,
    dedupe_key: str | None = None,
    max_attempts: int | None = None,
) -> Job | None:
    """Add ``job`` to ``session``. With ``dedupe_key``, an existing job with that key wins
    (returns None)."""
    kind, payload = job.kind, job.wire()
    when = run_at or utcnow()
    if delay:
        when = when + timedelta(seconds=delay)
    row = Job(
        kind=kind, payload=payload, run_at=when, max_attempts=max_attempts or _max_attempts(kind)
    )
    session.info[JOBS_ENQUEUED] = True  # db.engine.commit wakes the in-process worker
    if dedupe_key is None:
        session.add(row)
        return row
    if await session.scalar(select(Job.id).where(Job.dedupe_key == dedupe_key)):
        return None
    row.dedupe_key = dedupe_key
    try:
        async with session.begin_nested():
            session.add(row)
    except IntegrityError:
        return None
    return row


async def enqueue_once(
    session: AsyncSession,
    job: JobPayload,
    *,
    dedupe_key: str,
    run_at: datetime | None = None,
) -> bool:
    """Like :func:`enqueue` with a ``dedupe_key``, in one statement (no savepoint): for hot
    paths where the key usually exists already. True when this call added the job."""
    kind, payload = job.kind, job.wire()
    row = {
        "kind": kind,
        "payload": payload,
        "run_at": run_at or utcnow(),
        "max_attempts": _max_attempts(kind),
        "dedupe_key": dedupe_key,
    }
    added = await insert_ignore(
        session, table_of(Job), [row], conflict=("dedupe_key",), returning="id"
    )
    if added:
        session.info[JOBS_ENQUEUED] = True
        if run_at is not None:
            due_in = (run_at - utcnow()).total_seconds()
            session.info[JOBS_DUE_IN] = min(due_in, session.info.get(JOBS_DUE_IN, due_in))
    return bool(added)
