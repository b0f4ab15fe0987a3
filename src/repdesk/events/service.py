"""Emitting domain events and registering durable consumers."""

from __future__ import annotations

import fnmatch
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from repdesk.db.engine import queue_realtime
from repdesk.jobs.registry import task
from repdesk.jobs.service import enqueue
from repdesk.kit.time import isoformat, utcnow

log = logging.getLogger("repdesk.events")

Consumer = Callable[[AsyncSession, dict[str, Any]], Awaitable[None]]
_CONSUMERS: list[tuple[str, str, Consumer]] = []
_INLINE: list[tuple[str, str, Consumer]] = []


def on_event(
    pattern: str, *, name: str | None = None, inline: bool = False
) -> Callable[[Consumer], Consumer]:
    """Register a durable consumer for events whose name matches ``pattern`` (``message.*``).

    It receives the event envelope ``{"event","timestamp","workspaceId","assistantId","data"}``
    inside the ``events.dispatch`` job's transaction; it should enqueue its own jobs for slow
    work so that one consumer's failure does not re-run the others.

    ``inline=True``: the consumer runs in the emitting transaction itself, with no dispatch
    job. For consumers that only write rows and enqueue their own jobs (the webhook fan-out):
    just as durable, a job less per event, and its failure fails the emitting unit of work.
    """

    def register(fn: Consumer) -> Consumer:
        entry = (pattern, name or f"{fn.__module__}.{fn.__qualname__}", fn)
        (_INLINE if inline else _CONSUMERS).append(entry)
        return fn

    return register


def workspace_topic(workspace_id: str) -> str:
    return f"workspace:{workspace_id}"


def conversation_topic(conversation_id: str) -> str:
    return f"conversation:{conversation_id}"


async def emit(
    session: AsyncSession,
    name: str,
    data: dict[str, Any],
    *,
    workspace_id: str,
    assistant_id: str | None = None,
    topics: tuple[str, ...] = (),
    durable: bool = True,
) -> None:
    envelope = {
        "event": name,
        "timestamp": isoformat(utcnow()),
        "workspaceId": workspace_id,
        "assistantId": assistant_id,
        "data": data,
    }
    for topic in (workspace_topic(workspace_id), *topics):
        queue_realtime(session, topic, envelope)
    if not durable:
        return
    for pattern, _consumer_name, fn in _INLINE:
        if fnmatch.fnmatchcase(name, pattern):
            await fn(session, envelope)
    if has_durable_consumers(name):
        await enqueue(session, "events.dispatch", envelope)


def has_durable_consumers(name: str) -> bool:
    """Whether emitting ``name`` enqueues a dispatch job (a write of its own)."""
    return any(fnmatch.fnmatchcase(name, p) for p, _, _ in _CONSUMERS)


@task("events.dispatch", max_attempts=5)
async def dispatch(session: AsyncSession, envelope: dict[str, Any]) -> None:
    name = str(envelope.get("event", ""))
    for pattern, _consumer_name, fn in _CONSUMERS:
        if fnmatch.fnmatchcase(name, pattern):
            await fn(session, envelope)
