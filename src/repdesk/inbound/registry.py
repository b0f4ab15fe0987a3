"""What a provider registers with the intake: a verifier per webhook URL and a handler per
provider name (ADR 11).

A **verifier** is a FastAPI dependency, ``async def verify(request, session) -> Verified``
(``session: SessionDep``; the intake passes its own unit of work, the one the events are
stored in): it checks the provider's signature on the raw body (raising an ``AppError``: 401,
404, 400 ``INVALID_JSON``) and names the items to store, each with the provider's id. It is
mounted at ``POST /webhooks/{source}`` and ``POST /webhooks/{source}/{key}``.

A **handler**, ``async def handle(session, events) -> None``, turns a batch of stored events
of its provider into our state in the caller's transaction (flush, never commit). It must be
safe to run again on the same events: a batch that fails is retried one event at a time.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import ColumnElement
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.requests import Request
from starlette.responses import JSONResponse, Response


@dataclass(frozen=True)
class NewEvent:
    """An item a verifier accepted, to be stored (once) for its account."""

    account_id: str
    external_id: str
    kind: str
    payload: dict[str, Any]


@dataclass(frozen=True)
class ReceivedEvent:
    """A stored event, as its handler sees it."""

    id: str
    account_id: str
    external_id: str
    kind: str
    payload: dict[str, Any]


@dataclass
class Verified:
    """What a verifier returns: the provider, the items to store, and what to do if the
    account turns out to be gone when they are stored (forget a cache, say)."""

    provider: str
    events: list[NewEvent]
    on_account_gone: Callable[[], None] | None = None


@dataclass
class Stored:
    """The outcome of storing a POST's events: those new, and those already stored (or
    repeated within the POST)."""

    new: list[NewEvent] = field(default_factory=list)
    duplicates: list[NewEvent] = field(default_factory=list)
    slot: str | None = None  # the batching window whose job this POST scheduled


Verifier = Callable[[Request, AsyncSession], Awaitable[Verified]]
Responder = Callable[[Stored], Response]
Handler = Callable[[AsyncSession, Sequence[ReceivedEvent]], Awaitable[None]]
# Given the bound parameter holding an event's account id, an expression that is that id when
# the account exists and NULL when it does not (a scalar subquery): storing an event for a
# removed account then fails (account_id is NOT NULL), the route answers 404.
AccountCheck = Callable[[ColumnElement[str]], ColumnElement[str]]


def default_response(stored: Stored) -> Response:
    return JSONResponse({"received": len(stored.new), "duplicates": len(stored.duplicates)})


@dataclass(frozen=True)
class Source:
    name: str
    verify: Verifier
    respond: Responder


@dataclass(frozen=True)
class Provider:
    name: str
    handle: Handler
    account_check: AccountCheck | None


_SOURCES: dict[str, Source] = {}
_PROVIDERS: dict[str, Provider] = {}


def register_verifier(
    source: str, verify: Verifier, *, respond: Responder = default_response
) -> None:
    """Take webhooks at ``POST /webhooks/{source}[/{key}]``, checked by ``verify``."""
    _SOURCES[source] = Source(source, verify, respond)


def register_handler(
    provider: str, handle: Handler, *, account_check: AccountCheck | None = None
) -> None:
    """Drain the stored events of ``provider`` through ``handle``."""
    _PROVIDERS[provider] = Provider(provider, handle, account_check)


def get_source(source: str) -> Source | None:
    return _SOURCES.get(source)


def get_provider(provider: str) -> Provider | None:
    return _PROVIDERS.get(provider)
