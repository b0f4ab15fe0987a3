"""Pooled HTTP clients, one per event loop, for calls to outside systems.

Creating an HTTP client per request costs a new connection pool and TLS context each time
(measured: ~23 ms of CPU per Graph API call). Adapters take a shared client and pass their own
headers and timeouts per request.

Two clients, on purpose (ADR 7): ``shared_session`` (aiohttp) for the hot paths, the Graph API
(every send) and webhook deliveries (measured: 0.38 ms of CPU per call against 1.9 ms with
httpx); ``shared_client`` (httpx) for the rest (the Anthropic, embedding and transcription
providers). The OpenAI SDK brings its own HTTP library; its clients are pooled in
``ai.llm.providers``.

Those two are for URLs the operator configured (the Graph API, the operator's LLM). A URL a
tenant chose goes through a guarded client instead (``kit.urlguard``): ``guarded_session`` or
``guarded_client`` for a :class:`~repdesk.kit.urlguard.Reach`, and ``guarded_http_client2`` for
the OpenAI SDK's ``http_client``. They check every address they connect to, follow no
redirects and ignore proxy settings from the environment.
"""

from __future__ import annotations

import asyncio
import socket
import weakref
from types import ModuleType
from typing import Any

import aiohttp
import httpx
import httpx2
from aiohttp.abc import AbstractResolver, ResolveResult

from repdesk.kit import urlguard
from repdesk.kit.urlguard import BlockedAddressError, Reach

_CLIENTS: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, httpx.AsyncClient] = (
    weakref.WeakKeyDictionary()
)
_SESSIONS: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, aiohttp.ClientSession] = (
    weakref.WeakKeyDictionary()
)


def shared_client() -> httpx.AsyncClient:
    """The running loop's client (keep-alive pool, no base URL, 30 s default timeout)."""
    loop = asyncio.get_running_loop()
    client = _CLIENTS.get(loop)
    if client is None or client.is_closed:
        client = httpx.AsyncClient(
            timeout=30.0,
            limits=httpx.Limits(max_connections=100, max_keepalive_connections=20),
            follow_redirects=False,
        )
        _CLIENTS[loop] = client
    return client


def shared_session() -> aiohttp.ClientSession:
    """The running loop's aiohttp session (keep-alive pool, 30 s default timeout, no cookies
    kept: every call carries its own credentials)."""
    loop = asyncio.get_running_loop()
    session = _SESSIONS.get(loop)
    if session is None or session.closed:
        session = aiohttp.ClientSession(
            timeout=aiohttp.ClientTimeout(total=30.0),
            connector=aiohttp.TCPConnector(limit=200, limit_per_host=100),
            cookie_jar=aiohttp.DummyCookieJar(),
            raise_for_status=False,
        )
        _SESSIONS[loop] = session
    return session


# -- guarded clients (tenant URLs) -------------------------------------------------------------


class _GuardedResolver(AbstractResolver):
    """aiohttp name resolution through ``urlguard.resolve``, keeping only allowed addresses."""

    def __init__(self, reach: Reach) -> None:
        self.reach = reach

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        addresses = await urlguard.allowed_addresses(host, port, self.reach)
        return [
            ResolveResult(
                hostname=host,
                host=address,
                port=port,
                family=socket.AF_INET6 if ":" in address else socket.AF_INET,
                proto=0,
                flags=socket.AI_NUMERICHOST,
            )
            for address in addresses
        ]

    async def close(self) -> None:
        return None


def _socket_factory(reach: Reach) -> Any:
    """The last check, on the address aiohttp actually connects to (IP literals skip the
    resolver)."""

    def factory(addr_info: Any) -> socket.socket:
        family, type_, proto, _, sockaddr = addr_info
        if not urlguard.address_allowed(str(sockaddr[0]), reach):
            raise BlockedAddressError(f"refused to connect to {sockaddr[0]}: not a public address")
        return socket.socket(family=family, type=type_, proto=proto)

    return factory


_GUARDED_SESSIONS: weakref.WeakKeyDictionary[
    asyncio.AbstractEventLoop, dict[Reach, aiohttp.ClientSession]
] = weakref.WeakKeyDictionary()
_GUARDED_CLIENTS: weakref.WeakKeyDictionary[
    asyncio.AbstractEventLoop, dict[Reach, httpx.AsyncClient]
] = weakref.WeakKeyDictionary()


def guarded_session(reach: Reach) -> aiohttp.ClientSession:
    """The running loop's aiohttp session for tenant URLs (pass ``allow_redirects=False``)."""
    sessions = _GUARDED_SESSIONS.setdefault(asyncio.get_running_loop(), {})
    session = sessions.get(reach)
    if session is None or session.closed:
        session = aiohttp.ClientSession(
            timeout=aiohttp.ClientTimeout(total=30.0),
            connector=aiohttp.TCPConnector(
                limit=200,
                limit_per_host=100,
                resolver=_GuardedResolver(reach),
                socket_factory=_socket_factory(reach),
                use_dns_cache=False,
            ),
            cookie_jar=aiohttp.DummyCookieJar(),
            raise_for_status=False,
            trust_env=False,
        )
        sessions[reach] = session
    return session


def _port(scheme: str, port: int | None) -> int:
    return port or (443 if scheme == "https" else 80)


async def _pinned(lib: ModuleType, request: Any, reach: Reach) -> Any:
    """``request`` (an ``httpx`` or ``httpx2`` request, ``lib`` its library) addressed to the
    address the guard allows for its host; TLS still checks the name (``sni_hostname``)."""
    url = request.url
    host, port = url.host, _port(url.scheme, url.port)
    try:
        addresses = await urlguard.allowed_addresses(host, port, reach)
    except BlockedAddressError as exc:
        raise lib.ConnectError(str(exc), request=request) from exc
    extensions = dict(request.extensions)
    if addresses[0] != host.strip("[]"):
        extensions["sni_hostname"] = host
    return lib.Request(
        request.method,
        url.copy_with(host=addresses[0]),
        headers=request.headers,
        stream=request.stream,
        extensions=extensions,
    )


class _GuardedTransport(httpx.AsyncBaseTransport):
    """httpx: resolve through the guard, then connect to that address."""

    def __init__(self, reach: Reach) -> None:
        self.reach = reach
        self._inner = httpx.AsyncHTTPTransport(
            trust_env=False, limits=httpx.Limits(max_connections=100, max_keepalive_connections=20)
        )

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        return await self._inner.handle_async_request(await _pinned(httpx, request, self.reach))

    async def aclose(self) -> None:
        await self._inner.aclose()


class _GuardedTransport2(httpx2.AsyncBaseTransport):
    """The same for httpx2 (the OpenAI SDK's HTTP library)."""

    def __init__(self, reach: Reach) -> None:
        self.reach = reach
        self._inner = httpx2.AsyncHTTPTransport(trust_env=False)

    async def handle_async_request(self, request: httpx2.Request) -> httpx2.Response:
        return await self._inner.handle_async_request(await _pinned(httpx2, request, self.reach))

    async def aclose(self) -> None:
        await self._inner.aclose()


def guarded_client(reach: Reach) -> httpx.AsyncClient:
    """The running loop's httpx client for tenant URLs."""
    clients = _GUARDED_CLIENTS.setdefault(asyncio.get_running_loop(), {})
    client = clients.get(reach)
    if client is None or client.is_closed:
        client = httpx.AsyncClient(
            transport=_GuardedTransport(reach),
            timeout=30.0,
            follow_redirects=False,
            trust_env=False,
        )
        clients[reach] = client
    return client


def guarded_http_client2(reach: Reach, timeout: float) -> httpx2.AsyncClient:
    """A new httpx2 client for the OpenAI SDK's ``http_client`` (the SDK's clients are pooled
    in ``ai.llm.providers``)."""
    return httpx2.AsyncClient(
        transport=_GuardedTransport2(reach),
        timeout=timeout,
        follow_redirects=False,
        trust_env=False,
    )


async def close_shared_client() -> None:
    """Close the running loop's clients (app shutdown)."""
    loop = asyncio.get_running_loop()
    client = _CLIENTS.pop(loop, None)
    if client is not None:
        await client.aclose()
    session = _SESSIONS.pop(loop, None)
    if session is not None:
        await session.close()
    for guarded in (_GUARDED_CLIENTS.pop(loop, None) or {}).values():
        await guarded.aclose()
    for guarded_aiohttp in (_GUARDED_SESSIONS.pop(loop, None) or {}).values():
        await guarded_aiohttp.close()
