"""Job kinds used by the job-queue tests (loaded into worker subprocesses through
REPDESK_EXTRA_MODULES). Each run appends a line to a file named in the payload, so a test can
count exactly how often each job started and finished."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path
from typing import ClassVar

from sqlalchemy.ext.asyncio import AsyncSession

from repdesk.jobs.registry import JobPayload, task


def _append(path: str, line: str) -> None:
    with Path(path).open("a") as fh:
        fh.write(line + "\n")
        fh.flush()
        os.fsync(fh.fileno())


class Record(JobPayload):
    kind: ClassVar[str] = "test.record"
    log: str
    n: int
    sleep: float = 0.0


class AlwaysFails(JobPayload):
    kind: ClassVar[str] = "test.always_fails"
    n: int = 0


class Noop(JobPayload):
    kind: ClassVar[str] = "test.noop"


class Tick(JobPayload):
    kind: ClassVar[str] = "test.tick"


@task(Record, max_attempts=5, backoff_base=0.05)
async def record(session: AsyncSession, job: Record) -> None:
    _append(job.log, f"start {job.n} {os.getpid()}")
    if job.sleep:
        await asyncio.sleep(job.sleep)
    _append(job.log, f"done {job.n} {os.getpid()}")


@task(AlwaysFails, max_attempts=3, backoff_base=0.01)
async def always_fails(session: AsyncSession, job: AlwaysFails) -> None:
    raise RuntimeError(f"boom #{job.n}")


@task(Noop, max_attempts=3)
async def noop(session: AsyncSession, job: Noop) -> None:
    return None


TICKS: list[str] = []  # one entry per run of test.tick (in-process tests only)


@task(Tick, max_attempts=1)
async def tick(session: AsyncSession, job: Tick) -> None:
    TICKS.append("tick")


class Echo(JobPayload):
    """A snake_case field: stored as ``messageId``, as the jobs table always held it."""

    kind: ClassVar[str] = "test.echo"
    log: str
    message_id: str


@task(Echo, max_attempts=5, backoff_base=0.01)
async def echo(session: AsyncSession, job: Echo) -> None:
    _append(job.log, f"echo {job.message_id}")
