"""Emitting domain events and registering durable consumers."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from repdesk.db.engine import queue_realtime
from repdesk.events.schemas import DispatchEventJob
from repdesk.events.types import EVENTS, Event, EventData, matching
from repdesk.jobs.service import enqueue
from repdesk.kit.time import isoformat, utcnow

log = logging.getLogger("repdesk.events")

Consumer = Callable[[AsyncSession, dict[str, Any]], Awaitable[None]]
# Each listed event's consumers, resolved from the patterns once, at registration.
_CONSUMERS: dict[Event, list[tuple[str, Consumer]]] = {e: [] for e in Event}
_INLINE: dict[Event, list[tuple[str, Consumer]]] = {e: [] for e in Event}


def on_event(
    pattern: str | tuple[Event, ...], *, name: str | None = None, inline: bool = False
) -> Callable[[Consumer], Consumer]:
    """Register a durable consumer for the listed events whose name matches ``pattern``
    (``message.*``), or for the events given as a tuple.

    It receives the event envelope ``{"event","timestamp","workspaceId","assistantId","data"}``
    inside the ``events.dispatch`` job's transaction; it should enqueue its own jobs for slow
    work so that one consumer's failure does not re-run the others.

    ``inline=True``: the consumer runs in the emitting transaction itself, with no dispatch
    job. For consumers that only write rows and enqueue their own jobs (the webhook fan-out):
    just as durable, a job less per event, and its failure fails the emitting unit of work.
    """

    events = matching(pattern) if isinstance(pattern, str) else list(pattern)
    if not events:
        raise ValueError(f"on_event({pattern!r}) matches no event in repdesk.events.types")

    def register(fn: Consumer) -> Consumer:
        entry = (name or f"{fn.__module__}.{fn.__qualname__}", fn)
        for event in events:
            (_INLINE if inline else _CONSUMERS)[event].append(entry)
        return fn

    return register


def workspace_topic(workspace_id: str) -> str:
    return f"workspace:{workspace_id}"


def conversation_topic(conversation_id: str) -> str:
    return f"conversation:{conversation_id}"


async def emit(
    session: AsyncSession,
    event: Event,
    data: EventData,
    *,
    workspace_id: str,
    assistant_id: str | None = None,
    topics: tuple[str, ...] = (),
) -> None:
    """Emit ``event`` with its typed ``data`` (``repdesk.events.types``) in the session's unit of
    work: realtime subscribers hear it after the commit; inline consumers run now; durable
    consumers get an ``events.dispatch`` job written in the same transaction. There is no
    non-durable variant: an event with no consumer costs no write, and one with consumers
    reaches them whichever path emitted it."""
    if not isinstance(data, EVENTS[event]):
        raise TypeError(f"{event} carries {EVENTS[event].__name__}, not {type(data).__name__}")
    envelope = {
        "event": event.value,
        "timestamp": isoformat(utcnow()),
        "workspaceId": workspace_id,
        "assistantId": assistant_id,
        "data": data.wire(),
    }
    for topic in (workspace_topic(workspace_id), *topics):
        queue_realtime(session, topic, envelope)
    for _consumer_name, fn in _INLINE[event]:
        await fn(session, envelope)
    if _CONSUMERS[event]:
        await enqueue(session, DispatchEventJob.model_validate(envelope))


def has_durable_consumers(event: Event) -> bool:
    """Whether emitting ``event`` enqueues a dispatch job (a write of its own)."""
    return bool(_CONSUMERS[event])


async def dispatch(session: AsyncSession, job: DispatchEventJob) -> None:
    """Run the durable consumers of the event in ``job`` (the ``events.dispatch`` job)."""
    try:
        event = Event(job.event)
    except ValueError:
        log.warning("events.dispatch: unknown event %r dropped", job.event)
        return
    envelope = job.envelope()
    for _consumer_name, fn in _CONSUMERS[event]:
        await fn(session, envelope)
