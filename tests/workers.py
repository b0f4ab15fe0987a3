"""Standalone ``repdesk worker`` processes for the tests that kill, restart or share workers."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def spawn_worker(
    database_url: str,
    data_dir: Path,
    *,
    lease: int = 2,
    poll: float = 0.05,
    extra_modules: str = "",
    stderr: int = subprocess.PIPE,
) -> subprocess.Popen[bytes]:
    """A worker on ``database_url`` with a short lease and poll, in its own process. The
    environment is the test's own (so the fake Graph API's URL, say, carries over)."""
    env = dict(os.environ)
    env.update(
        REPDESK_DATABASE_URL=database_url,
        REPDESK_DATA_DIR=str(data_dir),
        REPDESK_EXTRA_MODULES=extra_modules,
        REPDESK_JOB_LEASE_SECONDS=str(lease),
        REPDESK_JOB_POLL_INTERVAL=str(poll),
        REPDESK_LOG_FORMAT="text",
        PYTHONPATH=os.pathsep.join([str(ROOT / "src"), str(ROOT)]),
    )
    return subprocess.Popen(
        [sys.executable, "-m", "repdesk.cli", "worker", "--concurrency", "4"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=stderr,
    )


async def wait_until(predicate: Callable[[], Awaitable[bool]], timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if await predicate():
            return
        await asyncio.sleep(0.1)
    raise AssertionError("condition not reached in time")
