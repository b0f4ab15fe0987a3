"""The worker: claims due jobs with a lease, runs them, retries with backoff.

Claiming is one statement: on PostgreSQL ``FOR UPDATE SKIP LOCKED`` lets any number of workers
take disjoint batches; on SQLite the write lock serialises claimers. A job whose worker died
stays ``running`` until its lease expires and is then claimed again. A job is deleted in the
same transaction as its handler's writes, so each successful attempt takes effect once.

A worker claims when it is woken and otherwise every ``poll_interval``. The in-process worker
is woken by its own process's commits; on PostgreSQL every worker also listens on
``JOBS_CHANNEL``, which any process's commit that enqueued jobs notifies.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
import traceback
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from pydantic import ValidationError
from sqlalchemy import case, delete, or_, select, update

from repdesk.db.base import table_of
from repdesk.db.engine import JOBS_CHANNEL, Database, commit, rollback
from repdesk.db.upsert import insert_ignore
from repdesk.jobs.models import Job, JobSchedule, JobStatus
from repdesk.jobs.registry import PERIODIC, TASKS, PermanentError, backoff_seconds, current_attempt
from repdesk.jobs.service import enqueue
from repdesk.kit.ids import token
from repdesk.kit.time import utcnow

log = logging.getLogger("repdesk.jobs")


def poison_error(model: str, exc: ValidationError) -> str:
    """The ``last_error`` of a job whose stored payload does not validate."""
    problems = "; ".join(
        f"{'.'.join(str(p) for p in e['loc']) or '(payload)'}: {e['msg']}" for e in exc.errors()
    )
    return f"invalid payload (set aside, not retried): {model}: {problems}"[:4000]


@dataclass
class ClaimedJob:
    id: str
    kind: str
    payload: dict[str, Any]
    attempts: int
    max_attempts: int


class Worker:
    def __init__(
        self,
        db: Database,
        *,
        concurrency: int = 4,
        lease_seconds: int = 60,
        poll_interval: float = 0.5,
        batch_size: int | None = None,
        kinds: Iterable[str] | None = None,
        name: str | None = None,
        listen: bool = True,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.db = db
        # The worker's idea of now (claims, leases, backoff, periodic schedules): a test moves it.
        self.clock = clock
        self.listen = listen and not db.is_sqlite
        self.concurrency = concurrency
        self.lease_seconds = lease_seconds
        self.poll_interval = poll_interval
        self.batch_size = batch_size or max(1, concurrency * 4)
        self.kinds = list(kinds) if kinds else None
        self.name = name or f"{socket.gethostname()}:{os.getpid()}:{token(4)}"
        self._stop = asyncio.Event()
        self._wake = asyncio.Event()
        self.completed = 0
        self.failed = 0
        self._last_reap = 0.0

    # -- claiming ---------------------------------------------------------------------------

    async def reap_expired(self) -> int:
        """Requeue jobs whose worker died (lease expired); fail those out of attempts."""
        now = self.clock()
        async with self.db.session() as session:
            result = await session.execute(
                update(Job)
                .where(Job.status == JobStatus.RUNNING, Job.locked_until < now)
                .values(
                    status=case(
                        (Job.attempts >= Job.max_attempts, JobStatus.FAILED.value),
                        else_=JobStatus.QUEUED.value,
                    ),
                    last_error="worker lost: lease expired",
                    locked_by=None,
                    locked_until=None,
                )
                .execution_options(synchronize_session=False)
            )
            await commit(session)
        return int(getattr(result, "rowcount", 0) or 0)

    async def claim(self, limit: int, *, job_id: str | None = None) -> list[ClaimedJob]:
        """Take up to ``limit`` due jobs. An index-friendly query (status, run_at): expired
        leases are put back in the queue by :meth:`reap_expired`, not matched here."""
        now = self.clock()
        if now.timestamp() - self._last_reap >= 1.0:
            self._last_reap = now.timestamp()
            await self.reap_expired()
        inner = select(Job.id).where(Job.status == JobStatus.QUEUED, Job.run_at <= now)
        if job_id is not None:
            inner = inner.where(Job.id == job_id)
        if self.kinds:
            inner = inner.where(Job.kind.in_(self.kinds))
        inner = inner.order_by(Job.run_at).limit(limit)
        if not self.db.is_sqlite:
            inner = inner.with_for_update(skip_locked=True)
        stmt = (
            update(Job)
            .where(Job.id.in_(inner.scalar_subquery()))
            .values(
                status=JobStatus.RUNNING,
                locked_by=self.name,
                locked_until=now + timedelta(seconds=self.lease_seconds),
                attempts=Job.attempts + 1,
            )
            .returning(Job.id, Job.kind, Job.payload, Job.attempts, Job.max_attempts)
            .execution_options(synchronize_session=False)
        )
        async with self.db.session() as session:
            rows = (await session.execute(stmt)).all()
            await commit(session)
        return [ClaimedJob(r[0], r[1], r[2] or {}, r[3], r[4]) for r in rows]

    # -- running ----------------------------------------------------------------------------

    async def run_job(self, job: ClaimedJob) -> bool:
        spec = TASKS.get(job.kind)
        if spec is None:
            await self._fail(job, f"no handler registered for job kind {job.kind!r}", final=True)
            return False
        try:
            payload = spec.payload_model.model_validate(job.payload)
        except ValidationError as exc:
            # A stored payload that no longer fits its model (an old row, a bad write) is set
            # aside at once: retrying cannot make it valid.
            await self._fail(job, poison_error(spec.payload_model.__name__, exc), final=True)
            return False
        current_attempt.set((job.attempts, job.max_attempts))
        try:
            async with self.db.session() as session:
                await spec.handler(session, payload)
                # Complete only if we still hold the lease: a job re-claimed elsewhere after
                # our lease expired must not be deleted under the other worker.
                result = await session.execute(
                    delete(Job)
                    .where(Job.id == job.id, Job.locked_by == self.name)
                    .execution_options(synchronize_session=False)
                )
                if getattr(result, "rowcount", 1) == 0:
                    await rollback(session)
                    log.warning("job %s %s lost its lease; not completing", job.kind, job.id)
                    return False
                await commit(session)
        except asyncio.CancelledError:
            raise
        except PermanentError as exc:
            await self._fail(job, f"{type(exc).__name__}: {exc}", final=True)
            return False
        except Exception as exc:
            detail = "".join(traceback.format_exception_only(type(exc), exc)).strip()
            log.warning("job %s %s attempt %d failed: %s", job.kind, job.id, job.attempts, detail)
            await self._fail(job, detail[:4000], final=job.attempts >= job.max_attempts)
            return False
        self.completed += 1
        return True

    async def _fail(self, job: ClaimedJob, error: str, *, final: bool) -> None:
        spec = TASKS.get(job.kind)
        values: dict[str, Any] = {"last_error": error, "locked_by": None, "locked_until": None}
        if final:
            values["status"] = JobStatus.FAILED
            self.failed += 1
            log.error("job %s %s failed for good after %d attempts", job.kind, job.id, job.attempts)
        else:
            delay = backoff_seconds(spec, job.attempts) if spec else 60.0
            values["status"] = JobStatus.QUEUED
            values["run_at"] = self.clock() + timedelta(seconds=delay)
        async with self.db.session() as session:
            await session.execute(
                update(Job)
                .where(Job.id == job.id, Job.locked_by == self.name)
                .values(**values)
                .execution_options(synchronize_session=False)
            )
            await commit(session)

    async def schedule_periodic(self) -> None:
        """Enqueue each periodic task that is due, and move its schedule on by its period.

        The schedule row is advanced with a conditional UPDATE (``next_due_at <= now``) in the
        transaction that enqueues the run, so of any number of workers exactly one enqueues it:
        on PostgreSQL a concurrent UPDATE waits for the row and then no longer matches; SQLite's
        write lock serialises them. A read finds nothing due most of the time, and writes nothing.
        """
        if not PERIODIC:
            return
        now = self.clock()
        async with self.db.session() as session:
            rows = await session.execute(select(JobSchedule.kind, JobSchedule.next_due_at))
            known: dict[str, datetime] = dict(rows.all())
            missing = [kind for kind in PERIODIC if kind not in known]
            due = [
                spec
                for spec in PERIODIC.values()
                if spec.kind in missing
                or known[spec.kind] <= now
                # a period much shortened by the operator (or a clock set far back) takes effect
                # now; two periods, not one, so that a worker whose clock read a moment earlier
                # than the one that just advanced the schedule does not run it again
                or known[spec.kind] > now + 2 * timedelta(seconds=spec.every_seconds)
            ]
            if not due:
                return
            if missing:
                await insert_ignore(
                    session,
                    table_of(JobSchedule),
                    [{"kind": kind, "next_due_at": now} for kind in missing],
                    conflict=("kind",),
                )
            for spec in due:
                period = timedelta(seconds=spec.every_seconds)
                claimed = await session.scalar(
                    update(JobSchedule)
                    .where(
                        JobSchedule.kind == spec.kind,
                        or_(
                            JobSchedule.next_due_at <= now,
                            JobSchedule.next_due_at > now + 2 * period,
                        ),
                    )
                    .values(next_due_at=now + period)
                    .returning(JobSchedule.kind)
                    .execution_options(synchronize_session=False)
                )
                if claimed is not None:
                    task = TASKS.get(spec.kind)
                    if task is not None:
                        await enqueue(session, task.payload_model(), run_at=now)
            await commit(session)

    async def run_now(self, job_id: str) -> bool:
        """Claim and run one specific job right away (a caller that wants the result). False if
        another worker holds it or it is not due. Durable as ever: if this process dies mid-way,
        the lease expires and a worker runs it again."""
        jobs = await self.claim(1, job_id=job_id)
        if not jobs:
            return False
        return await self.run_job(jobs[0])

    async def run_once(self, limit: int | None = None) -> int:
        """Claim one batch and run it; returns how many jobs were claimed."""
        jobs = await self.claim(limit or self.batch_size)
        if not jobs:
            return 0
        sem = asyncio.Semaphore(self.concurrency)

        async def guarded(j: ClaimedJob) -> None:
            async with sem:
                await self.run_job(j)

        await asyncio.gather(*(guarded(j) for j in jobs))
        return len(jobs)

    async def drain(self, *, max_rounds: int = 1000) -> int:
        """Run until nothing is due (tests and the CLI's ``--drain``)."""
        total = 0
        for _ in range(max_rounds):
            n = await self.run_once()
            if n == 0:
                break
            total += n
        return total

    def wake(self) -> None:
        self._wake.set()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()

    async def run_forever(self) -> None:
        """Keep up to ``concurrency`` jobs running: a slot that frees up is refilled at once
        (a long job never holds back the others), and a wake (a job enqueued in this process,
        a job finished) claims without waiting for the next poll."""
        log.info("worker %s started", self.name)
        last_periodic = 0.0
        loop = asyncio.get_running_loop()
        running: set[asyncio.Task[bool]] = set()
        listener = asyncio.create_task(self._listen()) if self.listen else None

        def finished(task: asyncio.Task[bool]) -> None:
            running.discard(task)
            self._wake.set()

        while not self._stop.is_set():
            self._wake.clear()
            claimed: list[ClaimedJob] = []
            try:
                if loop.time() - last_periodic >= 5:
                    await self.schedule_periodic()
                    last_periodic = loop.time()
                free = self.concurrency - len(running)
                if free > 0:
                    claimed = await self.claim(free)
                for job in claimed:
                    task = asyncio.create_task(self.run_job(job))
                    running.add(task)
                    task.add_done_callback(finished)
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("worker loop error")
            if not claimed or len(running) >= self.concurrency:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), timeout=self.poll_interval)
        if listener is not None:
            listener.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await listener
        if running:
            # Let jobs in flight finish; any cut short run again when their lease expires.
            _done, pending = await asyncio.wait(running, timeout=10)
            for task in pending:
                task.cancel()
        log.info("worker %s stopped", self.name)

    async def _listen(self) -> None:
        """PostgreSQL: wake on every notification of ``JOBS_CHANNEL``, on a connection of its
        own (detached from the pool: it is closed, not reused, when it ends). Polling goes on
        regardless, so a lost connection only delays jobs until it is back."""
        while not self._stop.is_set():
            try:
                async with self.db.engine.connect() as conn:
                    await conn.run_sync(lambda sync: sync.detach())
                    pooled = await conn.get_raw_connection()
                    raw = pooled.dbapi_connection.driver_connection  # type: ignore[union-attr]
                    await raw.add_listener(JOBS_CHANNEL, lambda *_: self._wake.set())
                    self._wake.set()  # anything notified while we were not listening
                    while not self._stop.is_set() and not raw.is_closed():
                        with contextlib.suppress(TimeoutError):
                            await asyncio.wait_for(self._stop.wait(), timeout=5)
            except asyncio.CancelledError:
                raise
            except Exception:
                log.warning("job notifications unavailable; polling", exc_info=True)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stop.wait(), timeout=5)
