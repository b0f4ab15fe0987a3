"""Enqueueing jobs. Always in the caller's session: the job exists exactly when its cause does."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from repdesk.db.base import table_of
from repdesk.db.engine import JOBS_DUE_IN, JOBS_ENQUEUED
from repdesk.db.upsert import insert_ignore
from repdesk.jobs.models import Job
from repdesk.jobs.registry import TASKS
from repdesk.kit.time import utcnow


async def enqueue(
    session: AsyncSession,
    kind: str,
    payload: dict[str, Any] | None = None,
    *,
    run_at: datetime | None = None,
    delay: float | None = None,
    dedupe_key: str | None = None,
    max_attempts: int | None = None,
) -> Job | None:
    """Add a job to ``session``. With ``dedupe_key``, an existing job with that key wins
    (returns None)."""
    when = run_at or utcnow()
    if delay:
        when = when + timedelta(seconds=delay)
    spec = TASKS.get(kind)
    attempts = max_attempts or (spec.max_attempts if spec else 5)
    job = Job(kind=kind, payload=payload or {}, run_at=when, max_attempts=attempts)
    session.info[JOBS_ENQUEUED] = True  # db.engine.commit wakes the in-process worker
    if dedupe_key is None:
        session.add(job)
        return job
    if await session.scalar(select(Job.id).where(Job.dedupe_key == dedupe_key)):
        return None
    job.dedupe_key = dedupe_key
    try:
        async with session.begin_nested():
            session.add(job)
    except IntegrityError:
        return None
    return job


async def enqueue_once(
    session: AsyncSession,
    kind: str,
    payload: dict[str, Any] | None = None,
    *,
    dedupe_key: str,
    run_at: datetime | None = None,
) -> bool:
    """Like :func:`enqueue` with a ``dedupe_key``, in one statement (no savepoint): for hot
    paths where the key usually exists already. True when this call added the job."""
    spec = TASKS.get(kind)
    row = {
        "kind": kind,
        "payload": payload or {},
        "run_at": run_at or utcnow(),
        "max_attempts": spec.max_attempts if spec else 5,
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
