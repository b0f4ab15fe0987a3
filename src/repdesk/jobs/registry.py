"""Job kinds and their payloads.

A kind is declared by its payload model, a :class:`JobPayload` subclass that names the kind, and
a handler registered for it with ``@task``::

    class ReindexKnowledge(JobPayload):
        kind: ClassVar[str] = "knowledge.reindex"
        assistant_id: str

    @task(ReindexKnowledge, max_attempts=4)
    async def reindex(session: AsyncSession, job: ReindexKnowledge) -> None: ...

    await enqueue(session, ReindexKnowledge(assistant_id=a.id))

The payload is validated when it is built (so when enqueued) and again when the job runs, from
the stored JSON (camelCase keys, as the ``jobs`` table has always held them): a stored payload
that no longer fits its model is set aside (failed at once, with the validation error), never
retried. A handler runs in a session whose transaction also deletes the job row, so what it
writes and the job's completion commit together. A handler that calls the network commits
first with ``db.engine.commit_then`` (or ``commit``), and must be safe to run twice: a worker can
die after the call.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any, ClassVar, TypeVar

from pydantic import BaseModel, ConfigDict
from pydantic.alias_generators import to_camel
from sqlalchemy.ext.asyncio import AsyncSession


class JobPayload(BaseModel):
    """What a job carries: ids and small values, never rows. Stored as camelCase JSON."""

    model_config = ConfigDict(
        alias_generator=to_camel, populate_by_name=True, extra="ignore", frozen=True
    )
    kind: ClassVar[str]

    def wire(self) -> dict[str, Any]:
        """The JSON stored in ``jobs.payload``."""
        return self.model_dump(mode="json", by_alias=True)


P = TypeVar("P", bound=JobPayload)
Handler = Callable[[AsyncSession, Any], Awaitable[None]]
TypedHandler = Callable[[AsyncSession, P], Awaitable[None]]


@dataclass(frozen=True)
class TaskSpec:
    kind: str
    handler: Handler
    payload_model: type[JobPayload]
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


def _kind_of(payload: type[JobPayload]) -> str:
    kind = getattr(payload, "kind", None)
    if not isinstance(kind, str) or not kind:
        raise TypeError(f"{payload.__name__} must name its job kind (kind: ClassVar[str] = ...)")
    return kind


def task(
    payload: type[P],
    *,
    max_attempts: int = 5,
    backoff_base: float = 2.0,
    backoff_cap: float = 3600.0,
) -> Callable[[TypedHandler[P]], TypedHandler[P]]:
    """Register the decorated function as the handler of ``payload``'s kind."""
    kind = _kind_of(payload)

    def register(fn: TypedHandler[P]) -> TypedHandler[P]:
        TASKS[kind] = TaskSpec(kind, fn, payload, max_attempts, backoff_base, backoff_cap)
        return fn

    return register


def periodic(payload: type[JobPayload], *, every_seconds: int) -> None:
    """Run ``payload``'s kind every ``every_seconds`` (once per period across all workers); the
    run's payload is the model built with no arguments."""
    kind = _kind_of(payload)
    PERIODIC[kind] = PeriodicSpec(kind, every_seconds)


def backoff_seconds(spec: TaskSpec, attempts: int) -> float:
    return float(min(spec.backoff_cap, spec.backoff_base * 2 ** max(0, attempts - 1)))
