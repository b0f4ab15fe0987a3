"""Job kinds for bench/jobs.py (loaded into worker processes via REPDESK_EXTRA_MODULES)."""

from __future__ import annotations

import os
import time
from typing import ClassVar

from sqlalchemy.ext.asyncio import AsyncSession

from repdesk.jobs.registry import JobPayload, task

_LOG = os.environ.get("REPDESK_BENCH_LATENCY_LOG", "")


class BenchNoop(JobPayload):
    kind: ClassVar[str] = "bench.noop"
    t: float | None = None  # when it was enqueued (the latency phase)


@task(BenchNoop, max_attempts=3)
async def noop(session: AsyncSession, job: BenchNoop) -> None:
    if job.t is not None and _LOG:
        with open(_LOG, "a") as fh:
            fh.write(f"{time.time() - job.t:.6f}\n")
