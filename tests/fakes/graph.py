"""A fake Meta Graph API: a real HTTP server on a free local port.

It speaks the Cloud API endpoints repdesk uses, records every request, checks send bodies
against Meta's format (answering Meta's own error shape when they are wrong), and can be told
to fail the next calls with a given Meta error code and HTTP status.

Use the ``graph`` fixture (``from tests.fakes.graph import graph``): it points
``REPDESK_GRAPH_API_URL`` at the server, and has one number and one WABA ready::

    graph.phone_number_id, graph.business_account_id, graph.access_token, graph.display_phone
    graph.fail_next(code=131047, status=400, times=1)
    graph.sent            # the accepted send bodies, in order
"""

from __future__ import annotations

import asyncio
import re
import threading
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from tests.fakes.graph_send import validate_send
from tests.fakes.graph_templates import GraphTemplates
from tests.fakes.server import ThreadedServer, free_port

__all__ = ["FakeGraph", "GraphServer", "graph", "validate_send"]

VERSION = "v21.0"


@dataclass
class Recorded:
    method: str
    path: str
    headers: dict[str, str]
    query: dict[str, str]
    json: Any
    body: bytes


@dataclass
class Failure:
    code: int
    status: int
    message: str
    details: str
    path_contains: str
    subcode: int | None = None
    user_title: str = ""
    user_msg: str = ""


@dataclass
class FakeGraph(GraphTemplates):
    url: str = ""
    version: str = VERSION
    access_token: str = "EAAG-test-token"
    phone_number_id: str = "106540352242922"
    business_account_id: str = "102290129340398"
    display_phone: str = "+1 555-078-3881"
    e164: str = "+15550783881"
    verified_name: str = "Ada's Shop"
    quality_rating: str = "GREEN"
    messaging_limit: str = "TIER_1K"
    signup_code: str = "signup-code-123"
    app_id: str = "1234567890"  # the Meta app of the tokens (REPDESK_META_APP_ID)
    template_limit: int = 250
    requests: list[Recorded] = field(default_factory=list)
    sent: list[dict[str, Any]] = field(default_factory=list)
    tokens: dict[str, set[str]] = field(default_factory=dict)  # token -> phone number ids
    numbers: dict[str, dict[str, Any]] = field(default_factory=dict)
    templates: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    media: dict[str, tuple[bytes, str]] = field(default_factory=dict)
    uploads: dict[str, dict[str, Any]] = field(default_factory=dict)
    handles: dict[str, bytes] = field(default_factory=dict)
    subscribed: set[str] = field(default_factory=set)
    registered: set[str] = field(default_factory=set)
    failures: list[Failure] = field(default_factory=list)
    download_delay: float = 0.0  # seconds each media download takes (crash tests)
    media_base: str = ""  # where media URLs point (Meta's CDN); empty: this server
    lock: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self) -> None:
        self.reset()

    # -- test controls ------------------------------------------------------------------------

    def reset(self) -> None:
        with self.lock:
            self.requests.clear()
            self.sent.clear()
            self.failures.clear()
            self.tokens = {self.access_token: {self.phone_number_id}}
            self.numbers = {
                self.phone_number_id: self._number(self.phone_number_id, self.display_phone)
            }
            self.templates = {
                self.business_account_id: [
                    self.template(
                        "order_confirmation",
                        "en_US",
                        "APPROVED",
                        body="Hi {{1}}, order {{2}} is confirmed.",
                    ),
                    self.template("welcome_back", "en_US", "APPROVED", body="Welcome back, {{1}}!"),
                    self.template("spring_sale", "en_US", "PENDING", body="Our sale starts now."),
                ]
            }
            self.media = {}
            self.uploads = {}
            self.handles = {}
            self.template_limit = 250
            self.download_delay = 0.0
            self.media_base = ""

    def _number(self, pnid: str, display: str) -> dict[str, Any]:
        return {
            "id": pnid,
            "display_phone_number": display,
            "verified_name": self.verified_name,
            "quality_rating": self.quality_rating,
            "name_status": "APPROVED",
            "whatsapp_business_manager_messaging_limit": self.messaging_limit,
        }

    def add_media(self, data: bytes, mime_type: str, media_id: str | None = None) -> str:
        mid = media_id or str(uuid.uuid4().int % 10**15)
        with self.lock:
            self.media[mid] = (data, mime_type)
        return mid

    def fail_next(
        self,
        *,
        code: int,
        status: int = 400,
        times: int = 1,
        message: str = "",
        details: str = "",
        path_contains: str = "",
    ) -> None:
        """The next ``times`` calls (whose path contains ``path_contains``) answer Meta's error."""
        with self.lock:
            for _ in range(times):
                self.failures.append(
                    Failure(
                        code,
                        status,
                        message or f"(#{code}) Simulated error",
                        details,
                        path_contains,
                    )
                )

    def revoke(self, token: str | None = None) -> None:
        with self.lock:
            self.tokens.pop(token or self.access_token, None)

    def requests_to(self, suffix: str, method: str | None = None) -> list[Recorded]:
        return [
            r
            for r in self.requests
            if r.path.endswith(suffix) and (method is None or r.method == method)
        ]

    # -- the server ---------------------------------------------------------------------------

    def _take_failure(self, path: str) -> Failure | None:
        with self.lock:
            for i, f in enumerate(self.failures):
                if f.path_contains in path:
                    return self.failures.pop(i)
        return None

    @staticmethod
    def error(code: int, message: str, status: int = 400, details: str = "") -> JSONResponse:
        body: dict[str, Any] = {
            "error": {
                "message": message,
                "type": "OAuthException",
                "code": code,
                "fbtrace_id": uuid.uuid4().hex[:20],
            }
        }
        if details:
            body["error"]["error_data"] = {"messaging_product": "whatsapp", "details": details}
        return JSONResponse(body, status_code=status)

    def _auth(self, request: Request) -> str | None:
        header = request.headers.get("authorization", "")
        scheme, _, tok = header.partition(" ")
        if scheme not in ("Bearer", "OAuth"):  # OAuth: the Resumable Upload API's
            return None
        return tok if tok in self.tokens else None

    async def handle(self, request: Request) -> Response:
        raw = await request.body()
        body: Any = None
        if request.headers.get("content-type", "").startswith("application/json") and raw:
            try:
                import json

                body = json.loads(raw)
            except ValueError:
                return self.error(100, "Invalid JSON")
        path = request.url.path
        with self.lock:
            self.requests.append(
                Recorded(
                    request.method,
                    path,
                    dict(request.headers),
                    dict(request.query_params),
                    body,
                    raw,
                )
            )
        failure = self._take_failure(path)
        if failure is not None and failure.user_title:
            return self.template_error(
                failure.code,
                failure.message,
                subcode=failure.subcode,
                title=failure.user_title,
                user_msg=failure.user_msg,
            )
        if failure is not None:
            return self.error(failure.code, failure.message, failure.status, failure.details)
        parts = [p for p in path.split("/") if p]
        if parts and parts[0] == "download":
            if self.download_delay:
                await asyncio.sleep(self.download_delay)
            return self._download(request, parts[1] if len(parts) > 1 else "")
        if not parts or parts[0] != self.version:
            return self.error(100, f"Unknown path {path}", 404)
        parts = parts[1:]
        if parts == ["oauth", "access_token"]:
            return self._exchange(request)
        token = self._auth(request)
        if token is None:
            return self.error(190, "Invalid OAuth access token - Cannot parse access token", 401)
        answer = await self.template_route(request, parts, body, raw)
        if answer is not None:
            return answer
        if len(parts) == 1 and request.method == "GET":
            node = parts[0]
            if node in self.media:
                data, mime = self.media[node]
                return JSONResponse(
                    {
                        "messaging_product": "whatsapp",
                        "id": node,
                        "mime_type": mime,
                        "sha256": "",
                        "file_size": len(data),
                        "url": f"{self.media_base or self.url}/download/{node}",
                    }
                )
            if node in self.numbers and node in self.tokens[token]:
                return JSONResponse(self.numbers[node])
            return self.error(
                100, f"Unsupported get request. Object with ID '{node}' does not exist", 400
            )
        if len(parts) == 2:
            node, edge = parts
            if edge == "messages" and request.method == "POST":
                return self._send(token, node, body)
            if edge == "media" and request.method == "POST":
                return await self._upload(node, request)
            if edge == "subscribed_apps" and request.method == "POST":
                self.subscribed.add(node)
                return JSONResponse({"success": True})
            if edge == "register" and request.method == "POST":
                if (
                    not isinstance(body, dict)
                    or body.get("messaging_product") != "whatsapp"
                    or not re.fullmatch(r"\d{6}", str(body.get("pin", "")))
                ):
                    return self.error(100, "(#100) Invalid parameter")
                self.registered.add(node)
                return JSONResponse({"success": True})
        return self.error(100, f"Unknown path {path}", 404)

    def _exchange(self, request: Request) -> Response:
        q = request.query_params
        if (
            q.get("code") != self.signup_code
            or not q.get("client_id")
            or not q.get("client_secret")
        ):
            return self.error(100, "Invalid verification code format.", 400)
        return JSONResponse({"access_token": self.access_token, "token_type": "bearer"})

    def _download(self, request: Request, media_id: str) -> Response:
        if self._auth(request) is None:
            return Response(status_code=401)
        if media_id not in self.media:
            return Response(status_code=404)
        data, mime = self.media[media_id]
        return Response(data, media_type=mime)

    async def _upload(self, node: str, request: Request) -> Response:
        form = await request.form()
        upload = form.get("file")
        if form.get("messaging_product") != "whatsapp" or upload is None or isinstance(upload, str):
            return self.error(100, "(#100) The parameter messaging_product is required.")
        data = await upload.read()
        return JSONResponse(
            {"id": self.add_media(data, upload.content_type or "application/octet-stream")}
        )

    def _send(self, token: str, node: str, body: Any) -> Response:
        if node not in self.tokens.get(token, set()):
            return self.error(
                100, f"Unsupported post request. Object with ID '{node}' does not exist", 400
            )
        problem = validate_send(body)
        if problem:
            return self.error(100, f"(#100) {problem}", 400)
        wamid = "wamid." + uuid.uuid4().hex.upper()
        with self.lock:
            self.sent.append(body)
        to = str(body["to"])
        return JSONResponse(
            {
                "messaging_product": "whatsapp",
                "contacts": [{"input": to, "wa_id": to.lstrip("+")}],
                "messages": [{"id": wamid}],
            }
        )


class GraphServer:
    def __init__(self) -> None:
        port = free_port()
        self.state = FakeGraph(url=f"http://127.0.0.1:{port}")
        app = Starlette(
            routes=[Route("/{path:path}", self.state.handle, methods=["GET", "POST", "DELETE"])]
        )
        self.http = ThreadedServer(app, port=port, name="fake Graph API")

    def start(self) -> None:
        self.http.start(timeout=15)

    def stop(self) -> None:
        self.http.stop()


_SERVER: GraphServer | None = None


def _server() -> GraphServer:
    global _SERVER
    if _SERVER is None:
        _SERVER = GraphServer()
        _SERVER.start()
    return _SERVER


@pytest.fixture
def graph(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeGraph]:
    """The fake Graph API (one server per test process, state reset per test), with
    ``REPDESK_GRAPH_API_URL``/``VERSION`` and a Meta app for Embedded Signup pointed at it."""
    from repdesk.channels.whatsapp.config import reset_whatsapp_settings
    from repdesk.inbound.config import reset_inbound_settings

    state = _server().state
    state.reset()
    monkeypatch.setenv("REPDESK_GRAPH_API_URL", state.url)
    monkeypatch.setenv("REPDESK_GRAPH_API_VERSION", state.version)
    monkeypatch.setenv("REPDESK_META_APP_ID", "1234567890")
    monkeypatch.setenv("REPDESK_META_APP_SECRET", "platform-app-secret")
    monkeypatch.setenv("REPDESK_META_CONFIG_ID", "987654321")
    monkeypatch.setenv("REPDESK_META_VERIFY_TOKEN", "platform-verify-token")
    # Webhooks are processed by a job per POST, due at once (tests that check the batching
    # window set their own).
    monkeypatch.setenv("REPDESK_INGEST_BATCH_MS", "0")
    reset_whatsapp_settings()
    reset_inbound_settings()
    yield state
    reset_whatsapp_settings()
    reset_inbound_settings()


if __name__ == "__main__":
    # A standalone fake Graph API for the benchmarks (its own process, so that its CPU is not
    # the load generator's): prints {"url": ...} once it listens, then serves until killed.
    import json
    import sys

    server = GraphServer()
    server.start()
    print(json.dumps({"url": server.state.url}), flush=True)
    try:
        server.http.thread.join()
    except KeyboardInterrupt:
        sys.exit(0)
