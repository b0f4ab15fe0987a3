"""CORS for the widget's public API (``/widget/v1/...``), as a plain ASGI middleware.

The embed script runs on the business's site and calls us cross-origin without cookies. Every
response carries ``Access-Control-Allow-Origin`` for the caller's Origin so the widget can read
errors too (a refused origin learns why); the routes themselves refuse origins that are not
on the widget's allowed list, so reading a response grants nothing.
"""

from __future__ import annotations

from typing import Any

PREFIX = "/widget/v1/"
ALLOW_HEADERS = b"Content-Type, X-Widget-Token"
ALLOW_METHODS = b"GET, POST, OPTIONS"


class WidgetCORSMiddleware:
    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http" or not scope["path"].startswith(PREFIX):
            await self.app(scope, receive, send)
            return
        origin = b""
        for key, value in scope["headers"]:
            if key == b"origin":
                origin = value
                break
        if scope["method"] == "OPTIONS":
            headers = [
                (b"access-control-allow-origin", origin or b"*"),
                (b"access-control-allow-methods", ALLOW_METHODS),
                (b"access-control-allow-headers", ALLOW_HEADERS),
                (b"access-control-max-age", b"600"),
                (b"vary", b"Origin"),
                (b"content-length", b"0"),
            ]
            await send({"type": "http.response.start", "status": 204, "headers": headers})
            await send({"type": "http.response.body", "body": b""})
            return

        async def send_with_cors(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start" and origin:
                headers = list(message.get("headers", []))
                headers.append((b"access-control-allow-origin", origin))
                headers.append((b"vary", b"Origin"))
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_cors)
