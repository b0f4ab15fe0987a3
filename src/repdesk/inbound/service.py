"""The inbound queue (ADR 11): store what a verified webhook carried, raw and once, and drain
it in batches through each provider's handler. The only writer of ``inbound_events``."""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from functools import cache
from typing import Any

from sqlalchemy import bindparam, delete, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from repdesk.db.base import table_of
from repdesk.inbound.models import EventState, InboundEvent
from repdesk.inbound.registry import (
    AccountCheck,
    NewEvent,
    ReceivedEvent,
    Stored,
    get_provider,
)
from repdesk.inbound.schemas import IngestJob
from repdesk.jobs.service import enqueue_once
from repdesk.kit.ids import new_id
from repdesk.kit.time import utcnow

INGEST = IngestJob()  # frozen: the hot path enqueues this one instance
INGEST_JOB = IngestJob.kind
BATCH = 100  # events per transaction
MAX_ATTEMPTS = 5  # failed attempts before an event is set aside
_TABLE = table_of(InboundEvent)


class UnknownProviderError(Exception):
    """Stored events of a provider no handler is registered for (its module is not loaded)."""


# -- storing ---------------------------------------------------------------------------------


@cache
def _insert(dialect: str, account_check: AccountCheck | None) -> Any:
    """``INSERT … ON CONFLICT DO NOTHING RETURNING id``, one shape per provider so that it
    is compiled once. With the provider's account check, ``account_id`` is the check's
    expression over the ``account_ref`` parameter (NULL, so a failed insert, for an account
    that is gone)."""
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    stmt = insert(_TABLE)
    if account_check is not None:
        stmt = stmt.values(account_id=account_check(bindparam("account_ref")))
    return stmt.on_conflict_do_nothing(
        index_elements=["provider", "account_id", "external_id"]
    ).returning(_TABLE.c.id)


def ingest_slot(now: datetime, batch_ms: int) -> tuple[str, datetime]:
    """The ``inbound.ingest`` job that a webhook acknowledged at ``now`` joins, and when it
    runs: one job per ``batch_ms`` window, due at the window's end, so a burst of POSTs is
    processed in a few large transactions instead of one job each. ``batch_ms`` 0: a job per
    POST, due at once."""
    if batch_ms <= 0:
        return f"{INGEST_JOB}:{secrets.token_hex(8)}", now
    slot = int(now.timestamp() * 1000) // batch_ms
    due = datetime.fromtimestamp((slot + 1) * batch_ms / 1000, tz=UTC)
    return f"{INGEST_JOB}:{slot}", due


async def store(
    session: AsyncSession, provider: str, events: Sequence[NewEvent], *, batch_ms: int
) -> Stored:
    """Queue ``events`` of ``provider``; an event already stored (or repeated in ``events``) is
    reported as a duplicate, not stored again. Schedules ``inbound.ingest`` when something new
    was stored. Raises IntegrityError when the provider's account check finds an account gone
    (the caller rolls back)."""
    out = Stored()
    now = utcnow()
    rows: list[dict[str, Any]] = []
    fresh: list[NewEvent] = []
    seen: set[tuple[str, str]] = set()
    spec = get_provider(provider)
    if spec is None:  # nothing could ever handle them: refuse rather than queue
        raise UnknownProviderError(f"no inbound handler is registered for {provider!r}")
    checked = spec.account_check is not None
    for ev in events:
        if (ev.account_id, ev.external_id) in seen:
            out.duplicates.append(ev)
            continue
        seen.add((ev.account_id, ev.external_id))
        row = {
            "id": new_id(),
            "provider": provider,
            "external_id": ev.external_id,
            "kind": ev.kind,
            "payload": ev.payload,
            "state": EventState.PENDING,
            "attempts": 0,
            "last_error": None,
            "received_at": now,
            "processed_at": None,
        }
        row["account_ref" if checked else "account_id"] = ev.account_id
        rows.append(row)
        fresh.append(ev)
    if rows:
        stmt = _insert(session.get_bind().dialect.name, spec.account_check)
        new_ids = set((await session.execute(stmt, rows)).scalars())
        for row, ev in zip(rows, fresh, strict=True):
            (out.new if row["id"] in new_ids else out.duplicates).append(ev)
    if out.new:
        key, due = ingest_slot(now, batch_ms)
        if key not in _scheduled_slots:
            await enqueue_once(session, INGEST, dedupe_key=key, run_at=due)
            out.slot = key
    return out


# Batching windows whose ingest job this process knows exists (it committed it, or found it
# there): further POSTs of the window skip that insert. Remembered only after the commit.
_scheduled_slots: dict[str, None] = {}


def slot_scheduled(stored: Stored) -> None:
    """Call after committing the POST whose :func:`store` returned ``stored``."""
    if stored.slot is not None:
        _scheduled_slots[stored.slot] = None
        while len(_scheduled_slots) > 64:
            del _scheduled_slots[next(iter(_scheduled_slots))]


# -- draining --------------------------------------------------------------------------------


def _pending(*columns: Any, limit: int) -> Any:
    """Pending events, oldest first."""
    return (
        select(*columns)
        .where(InboundEvent.state == EventState.PENDING)
        .order_by(InboundEvent.received_at, InboundEvent.id)
        .limit(limit)
    )


async def _handle(session: AsyncSession, events: Sequence[InboundEvent]) -> None:
    """Hand each provider its events (in the order received) and mark them processed."""
    by_provider: dict[str, list[ReceivedEvent]] = {}
    for ev in events:
        by_provider.setdefault(ev.provider, []).append(
            ReceivedEvent(ev.id, ev.account_id, ev.external_id, ev.kind, ev.payload)
        )
    for name, batch in by_provider.items():
        spec = get_provider(name)
        if spec is None:
            raise UnknownProviderError(f"no inbound handler is registered for {name!r}")
        await spec.handle(session, batch)
    await session.execute(
        update(InboundEvent)
        .where(InboundEvent.id.in_([ev.id for ev in events]))
        .values(state=EventState.PROCESSED, processed_at=utcnow())
        .execution_options(synchronize_session=False)
    )


async def process_pending(session: AsyncSession, *, limit: int = BATCH) -> int:
    """Process up to ``limit`` pending events in the session's transaction (rows are locked
    with SKIP LOCKED, so several workers share the queue). Returns how many were taken. If the
    batch fails, the caller rolls back and processes them one at a time."""
    events = list(
        await session.scalars(_pending(InboundEvent, limit=limit).with_for_update(skip_locked=True))
    )
    if events:
        await _handle(session, events)
    return len(events)


async def pending_ids(session: AsyncSession, limit: int = BATCH) -> list[str]:
    return list(await session.scalars(_pending(InboundEvent.id, limit=limit)))


async def process_event(session: AsyncSession, event_id: str) -> None:
    """Process one pending event (the fallback when a batch fails)."""
    ev = await session.scalar(
        select(InboundEvent)
        .where(InboundEvent.id == event_id, InboundEvent.state == EventState.PENDING)
        .with_for_update(skip_locked=True)
    )
    if ev is not None:
        await _handle(session, [ev])


async def record_failure(session: AsyncSession, event_id: str, error: str) -> bool:
    """Count a failed attempt; after ``MAX_ATTEMPTS`` the event is set aside (kept with its
    error, not retried). True when it was set aside."""
    ev = await session.get(InboundEvent, event_id)
    if ev is None:
        return False
    ev.attempts += 1
    ev.last_error = error[:2000]
    dead = ev.attempts >= MAX_ATTEMPTS
    if dead:
        ev.state = EventState.SET_ASIDE
        ev.processed_at = utcnow()
    await session.flush()
    return dead


async def prune(session: AsyncSession, *, older_than: timedelta) -> int:
    """Forget events handled (or set aside) longer ago than ``older_than`` (providers stop
    redelivering: Meta after 7 days)."""
    result = await session.execute(
        delete(InboundEvent).where(
            InboundEvent.state != EventState.PENDING,
            InboundEvent.processed_at < utcnow() - older_than,
        )
    )
    return int(getattr(result, "rowcount", 0) or 0)


async def forget_account(session: AsyncSession, provider: str, account_id: str) -> None:
    """Delete the events of an account that is being removed (what a foreign key's cascade
    would do, were the account tables one)."""
    await session.execute(
        delete(InboundEvent).where(
            InboundEvent.provider == provider, InboundEvent.account_id == account_id
        )
    )
