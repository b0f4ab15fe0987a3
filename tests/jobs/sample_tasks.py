"""Job kinds used by the job-queue tests (loaded into worker subprocesses through
REPDESK_EXTRA_MODULES). Each run appends a line to a file named in the payload, so a test can
count exactly how often each job started and finished."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from repdesk.jobs.registry import task


def _append(path: str, line: str) -> None:
    with Path(path).open("a") as fh:
        fh.write(line + "\n")
        fh.flush()
        os.fsync(fh.fileno())


@task("test.record", max_attempts=5, backoff_base=0.05)
async def record(session: AsyncSession, payload: dict[str, Any]) -> None:
    _append(payload["log"], f"start {payload['n']} {os.getpid()}")
    if payload.get("sleep"):
        await asyncio.sleep(float(payload["sleep"]))
    _append(payload["log"], f"done {payload['n']} {os.getpid()}")


@task("test.always_fails", max_attempts=3, backoff_base=0.01)
async def always_fails(session: AsyncSession, payload: dict[str, Any]) -> None:
    raise RuntimeError(f"boom #{payload.get('n', 0)}")


@task("test.noop", max_attempts=3)
async def noop(session: AsyncSession, payload: dict[str, Any]) -> None:
    return None


TICKS: list[str] = []  # one entry per run of test.tick (in-process tests only)


@task("test.tick", max_attempts=1)
async def tick(session: AsyncSession, payload: dict[str, Any]) -> None:
    TICKS.append("tick")
