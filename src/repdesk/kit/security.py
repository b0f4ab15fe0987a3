"""The web layer's security middleware, installed once for every route (``install``).

- :class:`SecurityHeadersMiddleware`: a Content-Security-Policy allowing only the product's own
  scripts and styles (inline ones carry the response's nonce: ``csp_nonce(request)``, given to
  every template as ``csp_nonce``), ``frame-ancestors 'none'`` (the widget is a script on the
  business's page, not a frame: nothing of ours is framed), ``X-Content-Type-Options:
  nosniff`` and ``Referrer-Policy``.
- :class:`OriginCheckMiddleware`: a state-changing request (POST, PUT, PATCH, DELETE) whose
  ``Origin`` (else ``Referer``) names another origin than the public URL is refused with 403,
  before any route runs. Exempt: ``/v1`` (bearer keys), ``/webhooks/`` (signed by the sender)
  and the widget's visitor API ``/widget/v1/`` (cross-origin by design; it checks the widget's
  allowed domains itself).
- :class:`BodyLimitMiddleware`: a request body is refused with 413 ``PAYLOAD_TOO_LARGE`` as
  soon as it passes its route's limit (``body_limit``: 1 MiB, more for the upload routes), or
  at once when its ``Content-Length`` says it will, before authentication or parsing read it.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

from fastapi import FastAPI, Request
from starlette.datastructures import MutableHeaders
from starlette.exceptions import HTTPException

from repdesk.kit.errors import AppError, error_response

NONCE_KEY = "repdesk.csp_nonce"
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
MiB = 1024 * 1024
DEFAULT_BODY_LIMIT = 1 * MiB
MULTIPART_OVERHEAD = 64 * 1024  # the form's boundaries, headers and small fields

Scope = dict[str, Any]


def csp_nonce(request: Request) -> str:
    """This response's nonce for an inline ``<script>`` or ``<style>``."""
    return str(request.scope.get(NONCE_KEY, ""))


def _policy(nonce: str | None, extra: dict[str, str]) -> str:
    own = f"'self' 'nonce-{nonce}'" if nonce else "'self'"
    directives = {
        "default-src": "'self'",
        "script-src": own,
        "style-src": own,
        "img-src": "'self' data: blob: https:",  # product images live on the shops' CDNs
        "media-src": "'self' blob:",
        "connect-src": "'self'",
        "font-src": "'self'",
        "object-src": "'none'",
        "base-uri": "'none'",
        "form-action": "'self'",
        "frame-src": "'none'",
        "frame-ancestors": "'none'",
    }
    for name, sources in extra.items():
        directives[name] = f"{directives[name]} {sources}".replace("'none' ", "")
    return "; ".join(f"{k} {v}" for k, v in directives.items())


# Pages that need a vendor's code, and only those: Meta's Embedded Signup (its SDK, its
# login frame), and FastAPI's Swagger UI (from its CDN, with an inline start-up script, so no
# nonce: a nonce makes browsers ignore 'unsafe-inline'). (pattern, extra sources, nonce?)
_CSP_EXTRA: tuple[tuple[re.Pattern[str], dict[str, str], bool], ...] = (
    (
        re.compile(r"^/assistants/[^/]+/whatsapp(/.*)?$"),
        {
            "script-src": "https://connect.facebook.net",
            "frame-src": "https://*.facebook.com",
            "connect-src": "https://*.facebook.com https://connect.facebook.net",
        },
        True,
    ),
    (
        re.compile(r"^/api/docs(/.*)?$"),
        {
            "script-src": "'unsafe-inline' https://cdn.jsdelivr.net",
            "style-src": "https://cdn.jsdelivr.net",
            "img-src": "https://fastapi.tiangolo.com",
        },
        False,
    ),
)


def content_security_policy(path: str, nonce: str) -> str:
    for pattern, extra, with_nonce in _CSP_EXTRA:
        if pattern.match(path):
            return _policy(nonce if with_nonce else None, extra)
    return _policy(nonce, {})


class SecurityHeadersMiddleware:
    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        nonce = secrets.token_urlsafe(18)
        scope[NONCE_KEY] = nonce
        policy = content_security_policy(scope["path"], nonce)

        async def send_with_headers(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                headers.setdefault("Content-Security-Policy", policy)
                headers.setdefault("X-Content-Type-Options", "nosniff")
                headers.setdefault("Referrer-Policy", "strict-origin-when-cross-origin")
                headers.setdefault("X-Frame-Options", "DENY")
            await send(message)

        await self.app(scope, receive, send_with_headers)


# -- Origin / Referer ---------------------------------------------------------------------------

_ORIGIN_EXEMPT = ("/v1/", "/webhooks/", "/widget/v1/")


def _origin_of(url: str) -> str:
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower()
    try:
        port = parts.port
    except ValueError:
        return "invalid"
    if ":" in host:
        host = f"[{host}]"
    default = {"http": 80, "https": 443}.get(scheme)
    return f"{scheme}://{host}" + (f":{port}" if port and port != default else "")


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope["headers"]:
        if key == name:
            return str(value.decode("latin-1"))
    return None


class OriginCheckMiddleware:
    """``public_url()``: the operator's ``REPDESK_PUBLIC_URL``; when it is empty, the request's
    own Host is the expected origin."""

    def __init__(self, app: Any, *, public_url: Callable[[], str]) -> None:
        self.app = app
        self.public_url = public_url

    def _expected(self, scope: Scope) -> str:
        configured = self.public_url()
        if configured:
            return _origin_of(configured)
        scheme = scope.get("scheme", "http")
        return _origin_of(f"{scheme}://{_header(scope, b'host') or ''}")

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        path = scope.get("path", "")
        if (
            scope["type"] != "http"
            or scope["method"] not in UNSAFE_METHODS
            or path == "/v1"
            or path.startswith(_ORIGIN_EXEMPT)
        ):
            await self.app(scope, receive, send)
            return
        sent = _header(scope, b"origin")
        if sent is None:
            referer = _header(scope, b"referer")
            sent = _origin_of(referer) if referer else None
        elif sent != "null":
            sent = _origin_of(sent)
        if sent is not None and sent != self._expected(scope):
            err = AppError(
                "This request came from another site (its Origin does not match this server's "
                "public URL, REPDESK_PUBLIC_URL).",
                code="CSRF_FAILED",
                status=403,
            )
            await error_response(err)(scope, receive, send)
            return
        await self.app(scope, receive, send)


# -- request body limits ------------------------------------------------------------------------


def _knowledge_limit() -> int:
    from repdesk.knowledge.config import get_knowledge_settings

    return get_knowledge_settings().knowledge_max_upload_mb * MiB


def _csv_limit() -> int:
    from repdesk.catalog.routes import MAX_CSV_BYTES

    return MAX_CSV_BYTES


def _image_limit() -> int:
    from repdesk.catalog.routes import MAX_IMAGE_BYTES

    return MAX_IMAGE_BYTES


def _avatar_limit() -> int:
    from repdesk.channels.widget.service import MAX_AVATAR_BYTES

    return MAX_AVATAR_BYTES


def _widget_file_limit() -> int:
    from repdesk.channels.widget.config import widget_settings

    return widget_settings().max_upload_bytes


def _widget_voice_limit() -> int:
    from repdesk.channels.widget.config import widget_settings

    return widget_settings().max_voice_bytes


def _chat_export_limit() -> int:
    from repdesk.training.chat_export import MAX_EXPORT_BYTES

    return MAX_EXPORT_BYTES


def _knowledge_text_limit() -> int:
    # 200,000 characters of text (knowledge.service.MAX_CONTENT), JSON-escaped or
    # percent-encoded in a form, can take 9 bytes a character.
    return 2 * MiB


def _template_media_limit() -> int:
    from repdesk.channels.whatsapp.authoring import HEADER_MEDIA_MAX

    return HEADER_MEDIA_MAX


def _webhook_limit() -> int:
    return 8 * MiB  # Meta's webhook batches reach a few MB


_A = r"/assistants/[^/]+"
# Routes that take more than the default: the upload's own limit plus the form's overhead (the
# route still checks the file's exact size and answers its own error).
BODY_LIMITS: tuple[tuple[re.Pattern[str], Callable[[], int]], ...] = tuple(
    (re.compile(pattern), limit)
    for pattern, limit in (
        (rf"^(/api)?{_A}/knowledge/(files|upload)$", _knowledge_limit),
        (rf"^(/api)?{_A}/knowledge(/|$)", _knowledge_text_limit),
        (rf"^/api{_A}/products/import$|^{_A}/catalog/import$", _csv_limit),
        (rf"^/api{_A}/products/[^/]+/images$|^{_A}/catalog/[^/]+/image$", _image_limit),
        (rf"^(/api)?{_A}/widget/avatar$", _avatar_limit),
        (rf"^(/api)?{_A}/training/chat-export$", _chat_export_limit),
        (rf"^(/api)?{_A}/templates/(media|save)$", _template_media_limit),
        (r"^/widget/v1/[^/]+/files$", _widget_file_limit),
        (r"^/widget/v1/[^/]+/voice$", _widget_voice_limit),
        (r"^/webhooks/", _webhook_limit),
    )
)


def body_limit(path: str) -> int:
    for pattern, limit in BODY_LIMITS:
        if pattern.match(path):
            return limit() + MULTIPART_OVERHEAD  # (pattern order: the first match counts)
    return DEFAULT_BODY_LIMIT


class BodyTooLargeError(HTTPException):
    """Raised from ``receive`` once a body passes its limit. An HTTPException, so that FastAPI's
    body parsing passes it on (it turns other errors into a 400) and the app's handler renders
    it as a 413 ``PAYLOAD_TOO_LARGE``."""

    def __init__(self, limit: int) -> None:
        super().__init__(413, f"The request body is larger than {_size(limit)}.")


def _size(limit: int) -> str:
    if limit >= MiB:
        return f"{limit / MiB:.0f} MB" if limit % MiB == 0 else f"{limit / MiB:.1f} MB"
    return f"{limit // 1024} KB"


class BodyLimitMiddleware:
    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = body_limit(scope["path"])
        length = _header(scope, b"content-length")
        if length is not None and length.strip().isdigit() and int(length) > limit:
            err = AppError(
                f"The request body is larger than {_size(limit)}.",
                code="PAYLOAD_TOO_LARGE",
                status=413,
                headers={"Connection": "close"},
            )
            await error_response(err)(scope, receive, send)
            return
        received = 0
        started = False

        async def limited_receive() -> dict[str, Any]:
            nonlocal received
            message: dict[str, Any] = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise BodyTooLargeError(limit)
            return message

        async def tracking_send(message: dict[str, Any]) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, limited_receive, tracking_send)
        except BodyTooLargeError as exc:  # read outside a route (its handler answers there)
            if started:
                raise
            err = AppError(str(exc.detail), code="PAYLOAD_TOO_LARGE", status=413)
            await error_response(err)(scope, receive, send)


def install(app: FastAPI, *, public_url: Callable[[], str]) -> None:
    """Add the middleware: the body limit innermost (inside the widget's CORS, so its 413 can
    be read), the Origin check and the headers outermost (their answers get the headers)."""
    app.add_middleware(OriginCheckMiddleware, public_url=public_url)
    app.add_middleware(SecurityHeadersMiddleware)


def install_body_limit(app: FastAPI) -> None:
    app.add_middleware(BodyLimitMiddleware)
