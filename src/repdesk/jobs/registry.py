"""Job kinds: ``@task("domain.verb")`` registers a handler.

A handler is ``async def handler(session, payload) -> None``. It runs in a session whose
transaction also deletes the job row, so what it writes and the job's completion commit
together. Handlers that call the network should ``await session.commit()`` first (a job is the
edge of its unit of work), and must be safe to run twice: a worker can die after the call.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

Handler = Callable[[AsyncSession, dict[str, Any]], Awaitable[None]]


@dataclass(frozen=True)
class TaskSpec:
    kind: str
    handler: Handler
    max_attempts: int
    backoff_base: float  # seconds; attempt n waits base * 2**(n-1), capped
    backoff_cap: float


@dataclass(frozen=True)
class PeriodicSpec:
    kind: str
    every_seconds: int


TASKS: dict[str, TaskSpec] = {}
PERIODIC: dict[str, PeriodicSpec] = {}


# (attempt number, max attempts) of the job running in this task; set by the worker.
current_attempt: ContextVar[tuple[int, int] | None] = ContextVar("current_attempt", default=None)


class PermanentError(Exception):
    """Raised by a handler when retrying cannot help: the job fails at once."""


def task(
    kind: str, *, max_attempts: int = 5, backoff_base: float = 2.0, backoff_cap: float = 3600.0
) -> Callable[[Handler], Handler]:
    def register(fn: Handler) -> Handler:
        TASKS[kind] = TaskSpec(kind, fn, max_attempts, backoff_base, backoff_cap)
        return fn

    return register


def periodic(kind: str, *, every_seconds: int) -> None:
    """Run the task ``kind`` every ``every_seconds`` (once per period across all workers)."""
    PERIODIC[kind] = PeriodicSpec(kind, every_seconds)


def backoff_seconds(spec: TaskSpec, attempts: int) -> float:
    return float(min(spec.backoff_cap, spec.backoff_base * 2 ** max(0, attempts - 1)))
