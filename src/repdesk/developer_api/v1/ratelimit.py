"""Per-key rate limits of the seed's table, with the headers on every /v1 response.

Keyed on the SHA-256 of the presented key (no database read; an unknown key is limited like a
known one), or on the client address when no key is sent. Every request counts against the
global burst (20/s); sends, broadcasts, contact creation and reads also against their own limit,
which is the one the ``X-RateLimit-*`` headers describe.
"""

from __future__ import annotations

import hashlib
import logging
import math
import time
from collections.abc import Callable

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from repdesk.developer_api.config import get_api_settings
from repdesk.kit.errors import AppError, RateLimited, error_response
from repdesk.kit.ratelimit import Decision, Limiter

log = logging.getLogger("repdesk.developer_api")


def rule_for(method: str, path: str) -> tuple[str, str] | None:
    """(bucket name, limit) of the endpoint-specific rule, if any."""
    s = get_api_settings()
    path = path.rstrip("/") or "/"
    if method == "POST" and path == "/messages/send":
        return "send", s.api_rate_send
    if method == "POST" and path == "/broadcast":
        return "broadcast", s.api_rate_broadcast
    if method == "POST" and path == "/contacts":
        return "contacts", s.api_rate_contacts_create
    if method in ("GET", "HEAD"):
        return "reads", s.api_rate_reads
    return None


def _identity(scope: Scope) -> str:
    """The presented key (scheme and spacing normalised, so variants share one bucket)."""
    for name, value in scope.get("headers", ()):
        if name == b"authorization":
            _scheme, _, credentials = value.strip().partition(b" ")
            return "key:" + hashlib.sha256(credentials.strip()).hexdigest()[:32]
    client = scope.get("client")
    return "ip:" + (client[0] if client else "unknown")


def _headers(decision: Decision) -> list[tuple[bytes, bytes]]:
    return [
        (b"x-ratelimit-limit", str(decision.limit).encode()),
        (b"x-ratelimit-remaining", str(decision.remaining).encode()),
        (b"x-ratelimit-reset", str(decision.reset_at).encode()),
    ]


class RateLimitMiddleware:
    def __init__(self, app: ASGIApp, limiter: Callable[[], Limiter]) -> None:
        self.app = app
        self.limiter = limiter

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = scope["path"]
        root = scope.get("root_path", "")
        if root and path.startswith(root):
            path = path[len(root) :]
        limiter = self.limiter()
        who = _identity(scope)
        settings = get_api_settings()
        burst = await limiter.hit(settings.api_rate_burst, "v1", "burst", who)
        shown = burst
        denied = None if burst.allowed else burst
        rule = rule_for(scope["method"], path)
        if rule is not None and denied is None:
            bucket, limit = rule
            decision = await limiter.hit(limit, "v1", bucket, who)
            shown = decision
            if not decision.allowed:
                denied = decision
        extra = _headers(shown)
        if denied is not None:
            retry = max(1, math.ceil(denied.reset_at - time.time()))
            err = RateLimited(
                f"Too many requests: the limit is {denied.limit} in this window. "
                f"Retry after {retry} seconds."
            )
            response = error_response(err)
            response.headers["Retry-After"] = str(retry)
            for name, value in extra:
                response.headers[name.decode()] = value.decode()
            await response(scope, receive, send)
            return

        started = False

        async def send_with_headers(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                message["headers"] = [*message.get("headers", []), *extra]
            await send(message)

        try:
            await self.app(scope, receive, send_with_headers)
        except Exception:
            # Unexpected errors still answer the documented shape, with the rate-limit headers.
            if started:
                raise
            log.exception("unhandled error on %s %s", scope["method"], scope["path"])
            response = error_response(
                AppError("Something went wrong on our side.", code="INTERNAL_ERROR", status=500)
            )
            for name, value in extra:
                response.headers[name.decode()] = value.decode()
            await response(scope, receive, send)
