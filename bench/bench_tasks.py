"""Job kinds for bench/jobs.py (loaded into worker processes via REPDESK_EXTRA_MODULES)."""

from __future__ import annotations

import os
import time
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from repdesk.jobs.registry import task

_LOG = os.environ.get("REPDESK_BENCH_LATENCY_LOG", "")


@task("bench.noop", max_attempts=3)
async def noop(session: AsyncSession, payload: dict[str, Any]) -> None:
    sent = payload.get("t")
    if sent is not None and _LOG:
        with open(_LOG, "a") as fh:
            fh.write(f"{time.time() - float(sent):.6f}\n")
