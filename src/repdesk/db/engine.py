"""Engine and sessions.

One request or one job is one unit of work: :meth:`Database.session` yields a session and the
caller commits at the edge with :func:`commit`, which also publishes the realtime events the
unit of work emitted (only once they are durable).

On SQLite every transaction starts with ``BEGIN IMMEDIATE``: the web server and the in-process
worker write from many tasks, and a deferred transaction that later wants to write fails at once
with SQLITE_BUSY instead of waiting. WAL keeps readers of committed data unblocked.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any, TypeVar

from sqlalchemy import event, text
from sqlalchemy.engine import Engine
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.orm import Session

PENDING_EVENTS = "repdesk.pending_events"
JOBS_ENQUEUED = "repdesk.jobs_enqueued"
# Seconds until a job enqueued in this unit of work falls due, when that is soon (see commit).
JOBS_DUE_IN = "repdesk.jobs_due_in"
TX_CACHE = "repdesk.tx_cache"
# PostgreSQL: a unit of work that enqueued jobs notifies this channel as it commits, and
# standalone workers listening on it claim at once instead of at their next poll.
JOBS_CHANNEL = "repdesk_jobs"

log = logging.getLogger("repdesk.db")
T = TypeVar("T")


# -- text the databases cannot store --------------------------------------------------------
# PostgreSQL refuses NUL characters in text and JSON, and no database takes a lone UTF-16
# surrogate (both arrive easily in JSON: "\u0000", "\ud800"). Anything a client sends reaches
# the database as a bound parameter, so the parameters are checked there, once for every
# route, page, form, socket and job: such text is a 400 VALIDATION_ERROR that changed nothing,
# never a database error and a 500.


def _storable(text: str) -> bool:
    if "\x00" in text:
        return False
    if text.isascii():
        return True
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _refuse(detail: str) -> None:
    from repdesk.kit.errors import ValidationError

    raise ValidationError(f"Text cannot contain {detail}.")


def _check_parameters(parameters: Any) -> None:
    rows = parameters if isinstance(parameters, list) else (parameters,)
    for row in rows:
        values = row.values() if isinstance(row, dict) else row
        for value in values:
            if isinstance(value, str) and not _storable(value):
                _refuse("NUL characters or unpaired surrogates")


def _has_nul(value: Any) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_has_nul(k) or _has_nul(v) for k, v in value.items())
    if isinstance(value, list | tuple):
        return any(_has_nul(v) for v in value)
    return False


def json_dumps(value: Any) -> str:
    """JSON columns: UTF-8 as is (compact, and unpaired surrogates stay visible to the check
    above), NUL refused (JSON can only write it as the escape PostgreSQL refuses)."""
    text = json.dumps(value, ensure_ascii=False)
    if "\\u0000" in text and _has_nul(value):
        _refuse("NUL characters")
    return text


def _guard_text(engine: AsyncEngine) -> None:
    @event.listens_for(engine.sync_engine, "before_cursor_execute", retval=True)
    def _before(
        conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, many: bool
    ) -> tuple[str, Any]:
        if parameters:
            _check_parameters(parameters)
        return statement, parameters


def _sqlite_setup(engine: AsyncEngine) -> None:
    sync: Engine = engine.sync_engine

    @event.listens_for(sync, "connect")
    def _on_connect(dbapi_conn: Any, _rec: Any) -> None:
        # aiosqlite: take control of transactions ourselves so BEGIN IMMEDIATE can be issued.
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.execute("PRAGMA busy_timeout=30000")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.close()

    @event.listens_for(sync, "begin")
    def _on_begin(conn: Any) -> None:
        conn.exec_driver_sql("BEGIN IMMEDIATE")


# SQLite allows one writer at a time, and a connection that finds the lock taken sleeps in
# SQLite's busy handler (up to 100 ms a try). A small pool makes most waiting happen in the
# pool's queue instead, which wakes at once: 3 connections measured ~2.5x the job throughput of
# 10, and still leave room for a request that runs a job inline while holding its own session.
SQLITE_POOL_SIZE = 3


def make_engine(url: str, *, pool_size: int = 10) -> AsyncEngine:
    if url.startswith("sqlite"):
        size = min(pool_size, SQLITE_POOL_SIZE)
        engine = create_async_engine(
            url, pool_size=size, max_overflow=0, pool_timeout=60, json_serializer=json_dumps
        )
        _sqlite_setup(engine)
    else:
        engine = create_async_engine(
            url,
            pool_size=pool_size,
            max_overflow=pool_size,
            pool_pre_ping=False,
            pool_timeout=60,
            json_serializer=json_dumps,
        )
    _guard_text(engine)
    return engine


Publisher = Callable[[list[tuple[str, dict[str, Any]]]], Awaitable[None]]


class Database:
    def __init__(self, url: str, *, pool_size: int = 10, notify_jobs: bool = True) -> None:
        self.url = url
        self.engine = make_engine(url, pool_size=pool_size)
        # PostgreSQL only (SQLite deployments run their worker in the web process).
        self.notify_jobs = notify_jobs and not url.startswith("sqlite")
        self.sessionmaker = async_sessionmaker(self.engine, expire_on_commit=False)
        self.publisher: Publisher | None = None
        # Called after a commit that enqueued jobs (the in-process worker's wake()).
        self.on_jobs_committed: Callable[[], None] | None = None

    @property
    def is_sqlite(self) -> bool:
        return self.url.startswith("sqlite")

    @asynccontextmanager
    async def session(self) -> AsyncIterator[AsyncSession]:
        async with self.sessionmaker() as session:
            session.info["db"] = self
            try:
                yield session
            except BaseException:
                session.info.pop(PENDING_EVENTS, None)
                session.info.pop(JOBS_ENQUEUED, None)
                await session.rollback()
                raise

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncSession]:
        """A session committed (and its events published) when the block ends without error."""
        async with self.session() as session:
            yield session
            await commit(session)

    async def dispose(self) -> None:
        await self.engine.dispose()


@event.listens_for(Session, "after_rollback")
def _forget_rolled_back(session: Session) -> None:
    # What the rolled-back work queued must not be published or run by a later commit of
    # the same session (a job that rolls back a failed batch and goes on, say).
    for key in (PENDING_EVENTS, JOBS_DUE_IN, TX_CACHE):
        session.info.pop(key, None)


@event.listens_for(Session, "after_commit")
def _end_of_transaction(session: Session) -> None:
    session.info.pop(TX_CACHE, None)


def tx_cache(session: AsyncSession) -> dict[str, Any]:
    """A dict that lives as long as the session's current transaction: for reads that many
    events of one unit of work need (the webhook endpoints of an ingest batch's assistant)."""
    cache: dict[str, Any] = session.info.setdefault(TX_CACHE, {})
    return cache


def queue_realtime(session: AsyncSession, topic: str, payload: dict[str, Any]) -> None:
    """Publish ``payload`` on ``topic`` after the session commits (never before)."""
    session.info.setdefault(PENDING_EVENTS, []).append((topic, payload))


_NOTIFY_JOBS = text(f"NOTIFY {JOBS_CHANNEL}")


async def commit(session: AsyncSession) -> None:
    db: Database | None = session.info.get("db")
    if db is not None and db.notify_jobs and session.info.get(JOBS_ENQUEUED):
        await session.execute(_NOTIFY_JOBS)  # delivered when (and only if) this commits
    await session.commit()
    pending: list[tuple[str, dict[str, Any]]] = session.info.pop(PENDING_EVENTS, [])
    due_in: float | None = session.info.pop(JOBS_DUE_IN, None)
    if session.info.pop(JOBS_ENQUEUED, False) and db is not None and db.on_jobs_committed:
        db.on_jobs_committed()
        if due_in is not None and 0 < due_in <= 5:
            # A job due in a moment (a batching window): wake the worker when it is due
            # rather than at its next poll.
            asyncio.get_running_loop().call_later(due_in + 0.01, db.on_jobs_committed)
    if pending and db is not None and db.publisher is not None:
        await db.publisher(pending)


async def rollback(session: AsyncSession) -> None:
    """Undo the session's current transaction: nothing it queued is published or run."""
    session.info.pop(JOBS_ENQUEUED, None)
    await session.rollback()


async def commit_then(session: AsyncSession, call: Callable[[], Awaitable[T]]) -> T:
    """Commit what was prepared, then make ``call`` (a network call) with no transaction, so no
    lock (on SQLite: the write lock) is held while the other side answers. The caller records
    the answer in the same session afterwards (a new transaction) and the unit of work commits
    it: prepare, commit, call, record."""
    await commit(session)
    return await call()
