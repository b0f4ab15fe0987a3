"""Web-layer dependencies shared by every domain's routes and pages.

A request is one unit of work: ``SessionDep`` yields a session and commits when the route
returns (and publishes the realtime events it emitted); an error rolls everything back.
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import json
from collections.abc import AsyncIterator, Callable
from contextvars import ContextVar
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.responses import StreamingResponse
from sqlalchemy.ext.asyncio import AsyncSession

from repdesk.accounts.service import Principal, authenticate
from repdesk.config import Settings
from repdesk.db.engine import Database, commit, rollback
from repdesk.events.bus import MemoryBus, RedisBus
from repdesk.kit.errors import AppError, Forbidden, Unauthorized
from repdesk.kit.ratelimit import Limiter

SESSION_COOKIE = "repdesk_session"
CSRF_COOKIE = "repdesk_csrf"
CSRF_HEADER = "X-CSRF-Token"
CSRF_FIELD = "csrf_token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def get_db(request: Request) -> Database:
    db: Database = request.app.state.db
    return db


def get_settings_dep(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def get_limiter(request: Request) -> Limiter:
    limiter: Limiter = request.app.state.limiter
    return limiter


def get_bus(request: Request) -> MemoryBus | RedisBus:
    bus: MemoryBus | RedisBus = request.app.state.bus
    return bus


# Set by a route that answers with an error page or an error redirect instead of raising: the
# unit of work then rolls back, so nothing a service flushed before the error is committed.
_ROLLBACK_ONLY: ContextVar[bool] = ContextVar("repdesk_rollback_only", default=False)


def mark_rollback_only() -> None:
    _ROLLBACK_ONLY.set(True)


async def get_session(request: Request) -> AsyncIterator[AsyncSession]:
    db = get_db(request)
    token = _ROLLBACK_ONLY.set(False)
    try:
        async with db.session() as session:
            request.state.session = session
            yield session
            if _ROLLBACK_ONLY.get():
                await rollback(session)
            elif session.in_transaction():
                await commit(session)
    finally:
        _ROLLBACK_ONLY.reset(token)


SessionDep = Annotated[AsyncSession, Depends(get_session)]
SettingsDep = Annotated[Settings, Depends(get_settings_dep)]
LimiterDep = Annotated[Limiter, Depends(get_limiter)]


async def optional_principal(request: Request, session: SessionDep) -> Principal | None:
    cached = getattr(request.state, "principal", None)
    if cached is not None:
        return cached  # type: ignore[no-any-return]
    raw = request.cookies.get(SESSION_COOKIE, "")
    principal = await authenticate(session, raw) if raw else None
    request.state.principal = principal
    return principal


async def check_csrf(request: Request) -> None:
    """Double-submit CSRF: the ``repdesk_csrf`` cookie must equal the header or form field."""
    if request.method in SAFE_METHODS:
        return
    cookie = request.cookies.get(CSRF_COOKIE, "")
    sent = request.headers.get(CSRF_HEADER, "")
    if not sent:
        ctype = request.headers.get("content-type", "")
        if ctype.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
            form = await request.form()
            value = form.get(CSRF_FIELD)
            sent = value if isinstance(value, str) else ""
    if not cookie or not sent or not hmac.compare_digest(cookie, sent):
        raise Forbidden(
            "Missing or invalid CSRF token. Reload the page and try again.", code="CSRF_FAILED"
        )


async def require_principal(
    request: Request, principal: Annotated[Principal | None, Depends(optional_principal)]
) -> Principal:
    if principal is None:
        raise Unauthorized("Log in first.", code="UNAUTHORIZED")
    await check_csrf(request)
    return principal


PrincipalDep = Annotated[Principal, Depends(require_principal)]
OptionalPrincipalDep = Annotated[Principal | None, Depends(optional_principal)]


class LoginRequired(AppError):
    """Raised by pages; the page error handler redirects to the login page."""

    status = 401
    code = "LOGIN_REQUIRED"


async def require_page_principal(
    request: Request, principal: Annotated[Principal | None, Depends(optional_principal)]
) -> Principal:
    if principal is None:
        raise LoginRequired("Log in first.")
    await check_csrf(request)
    return principal


PagePrincipalDep = Annotated[Principal, Depends(require_page_principal)]


# -- server-sent events -------------------------------------------------------------------------

HEARTBEAT_SECONDS = 15.0


def sse_frame(envelope: dict[str, Any]) -> bytes:
    """``event: <name>`` with the event envelope as compact JSON data."""
    data = json.dumps(envelope, separators=(",", ":"), default=str)
    return f"event: {envelope.get('event', 'message')}\ndata: {data}\n\n".encode()


def event_stream(
    request: Request,
    topic: str,
    frames: Callable[[dict[str, Any]], AsyncIterator[bytes]],
) -> StreamingResponse:
    """Server-sent events of one bus topic for a dashboard page: ``event: ready`` first, then
    what ``frames`` yields for each envelope (nothing: the envelope is not for this page), a
    comment line every 15 s so that proxies keep the connection, until the client goes. Holds
    no database connection: authenticate before calling it."""
    bus = request.app.state.bus

    async def events() -> AsyncIterator[bytes]:
        async with bus.subscribe(topic) as sub:
            yield b"retry: 2000\nevent: ready\ndata: {}\n\n"
            idle = 0.0
            while not await request.is_disconnected():
                try:
                    envelope = await asyncio.wait_for(sub.get(), timeout=1.0)
                except TimeoutError:
                    idle += 1.0
                    if idle >= HEARTBEAT_SECONDS:
                        idle = 0.0
                        yield b": keep-alive\n\n"
                    continue
                idle = 0.0
                async for chunk in frames(envelope):
                    yield chunk

    async def guarded() -> AsyncIterator[bytes]:
        with contextlib.suppress(asyncio.CancelledError):
            async for chunk in events():
                yield chunk

    return StreamingResponse(
        guarded(),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
    )
