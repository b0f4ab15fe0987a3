"""The intake's jobs: ``inbound.ingest`` drains the queue, ``inbound.sweep`` (periodic) picks
up what no job is scheduled for and forgets what is old."""

from __future__ import annotations

import logging
import time
from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from repdesk.db.engine import Database
from repdesk.inbound import service
from repdesk.inbound.config import get_inbound_settings
from repdesk.inbound.schemas import IngestJob, SweepJob
from repdesk.jobs.registry import periodic, task
from repdesk.jobs.service import enqueue

log = logging.getLogger("repdesk.inbound")

# A job drains the queue for at most this long, then leaves the rest to the next job.
INGEST_BUDGET_SECONDS = 10.0
# Providers stop redelivering after this (Meta: 7 days); processed events are kept as long,
# so that a late redelivery is still recognised.
KEEP_PROCESSED = timedelta(days=7)


def _database(session: AsyncSession) -> Database:
    db = session.info.get("db")
    if not isinstance(db, Database):
        raise RuntimeError("inbound.ingest needs a session from repdesk.db.engine.Database")
    return db


@task(IngestJob, max_attempts=10, backoff_base=1.0, backoff_cap=60.0)
async def ingest(session: AsyncSession, job: IngestJob) -> None:
    """Turn pending inbound events into our state, a batch per transaction, until the queue
    is empty. A batch that fails is retried one event at a time, so one bad event cannot hold
    back the others (it is set aside after a few attempts, with its error)."""
    db = _database(session)
    deadline = time.monotonic() + INGEST_BUDGET_SECONDS
    while time.monotonic() < deadline:
        try:
            async with db.transaction() as batch:
                taken = await service.process_pending(batch)
        except Exception:
            log.warning("inbound.ingest: a batch failed; processing it one event at a time")
            taken, failed = await _one_by_one(db)
            if failed:  # retry them later, with the job's backoff
                raise RuntimeError(
                    f"{failed} inbound event(s) failed; see inbound_events"
                ) from None
        if taken == 0:
            return
    # Out of time with work left: a fresh job continues (the worker may run others first).
    await enqueue(session, service.INGEST)


async def _one_by_one(db: Database) -> tuple[int, int]:
    async with db.session() as session:
        ids = await service.pending_ids(session)
    failed = 0
    for event_id in ids:
        try:
            async with db.transaction() as one:
                await service.process_event(one, event_id)
        except Exception as exc:
            failed += 1
            async with db.transaction() as note:
                dead = await service.record_failure(note, event_id, f"{type(exc).__name__}: {exc}")
            if dead:
                log.error("inbound.ingest: event %s set aside after repeated failures", event_id)
    return len(ids), failed


@task(SweepJob, max_attempts=1)
async def sweep(session: AsyncSession, job: SweepJob) -> None:
    """Periodic: pick up events no job is scheduled for (a POST whose commit landed just after
    its batch ran, a crash) and forget processed events after 7 days."""
    if await service.pending_ids(session, limit=1):
        await enqueue(session, service.INGEST)
    await service.prune(session, older_than=KEEP_PROCESSED)


periodic(SweepJob, every_seconds=get_inbound_settings().ingest_sweep_seconds)
