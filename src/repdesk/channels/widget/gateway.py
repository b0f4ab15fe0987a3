"""The realtime gateway: a WebSocket per open widget, and Server-Sent Events + POST as the
fallback for networks that block WebSockets.

Both subscribe to the visitor's topic (``widget:{visitorId}``) on the app's bus, so replies
written by any process (the AI job, an agent in the inbox, another tab) reach every open widget
of that visitor. No database connection is held while a connection is idle.

WebSocket frames (JSON). Client: ``{"type":"message","clientId","text"}``, ``{"type":"ping"}``.
Server: ``{"type":"hello","visitorId","history":[...]}``, ``{"type":"message","message":{...}}``,
``{"type":"ack","clientId","message":{...}}``, ``{"type":"typing","on":true}``,
``{"type":"error","code","message","clientId"?}``, ``{"type":"pong"}``.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from collections.abc import AsyncIterator
from typing import Any

from fastapi import Request, WebSocket, WebSocketDisconnect
from fastapi.responses import StreamingResponse

from repdesk.assistants.models import Assistant
from repdesk.channels.widget import service as widget
from repdesk.channels.widget.config import widget_settings
from repdesk.db.engine import Database, commit
from repdesk.kit.clientip import client_ip
from repdesk.kit.errors import AppError, RateLimited, ValidationError

log = logging.getLogger("repdesk.widget")

KEEPALIVE_SECONDS = 20.0
DISCONNECT_CHECK_SECONDS = 2.0


def _dumps(payload: dict[str, Any]) -> str:
    return json.dumps(payload, separators=(",", ":"), ensure_ascii=False, default=str)


async def check_ip_rate(limiter: Any, ip: str) -> None:
    decision = await limiter.hit(widget_settings().ip_rate_limit, "widget-ip", ip)
    if not decision.allowed:
        raise RateLimited(
            "Too many requests from this network: wait a minute and try again.",
            headers={"Retry-After": "60"},
        )


async def check_visitor_rate(limiter: Any, assistant_id: str, visitor_id: str) -> None:
    decision = await limiter.hit(
        widget_settings().visitor_rate_limit, "widget-visitor", assistant_id, visitor_id
    )
    if not decision.allowed:
        wait = max(1, decision.reset_at - int(time.time()))
        raise RateLimited(
            "You are sending messages too quickly: wait a moment.",
            headers={"Retry-After": str(wait)},
        )


def wake_worker(app: Any) -> None:
    """Start the AI reply now rather than at the in-process worker's next poll."""
    worker = getattr(app.state, "worker", None)
    if worker is not None:
        worker.wake()


async def _authorize(
    db: Database, limiter: Any, *, public_id: str, origin: str | None, token: str | None, ip: str
) -> tuple[str, str]:
    await check_ip_rate(limiter, ip)
    # Committed, not rolled back, at the end: a rollback would expire the loaded rows.
    async with db.transaction() as session:
        assistant, s = await widget.get_by_public_id(session, public_id)
        widget.check_origin(s, origin)
        visitor_id = widget.verify_visitor_token(assistant.id, token)
        assistant_id = assistant.id
    return assistant_id, visitor_id


async def _history(db: Database, assistant_id: str, visitor_id: str) -> list[dict[str, Any]]:
    async with db.transaction() as session:  # (committed: a rollback would expire the rows)
        assistant = await session.get(Assistant, assistant_id)
        return await widget.history(session, assistant, visitor_id) if assistant else []


async def websocket_gateway(websocket: WebSocket, public_id: str) -> None:
    app = websocket.app
    db: Database = app.state.db
    ip = client_ip(websocket)
    async with contextlib.AsyncExitStack() as stack:
        try:
            # One short transaction: check the widget, the Origin and the token, subscribe
            # (before reading the history, so nothing falls in between), read the history.
            await check_ip_rate(app.state.limiter, ip)
            async with db.transaction() as session:
                assistant, s = await widget.get_by_public_id(session, public_id)
                widget.check_origin(s, websocket.headers.get("origin"))
                visitor_id = widget.verify_visitor_token(
                    assistant.id, websocket.query_params.get("token")
                )
                assistant_id = assistant.id
                sub = await stack.enter_async_context(
                    app.state.bus.subscribe(widget.visitor_topic(visitor_id))
                )
                history = await widget.history(session, assistant, visitor_id)
        except AppError as exc:
            # Accept, say why, close: the widget shows the reason instead of retrying blindly.
            await websocket.accept()
            await websocket.send_text(_dumps({"type": "error", **exc.body()}))
            await websocket.close(code=4000 + exc.status)
            return
        await websocket.accept()
        await websocket.send_text(
            _dumps({"type": "hello", "visitorId": visitor_id, "history": history})
        )
        del history, assistant, s
        writer = asyncio.create_task(_forward(websocket, sub))
        try:
            while True:
                raw = await websocket.receive_text()
                reply = await _handle_frame(app, db, assistant_id, visitor_id, raw)
                if reply is not None:
                    await websocket.send_text(_dumps(reply))
        except WebSocketDisconnect:
            pass
        except RuntimeError:  # the socket closed under us
            pass
        finally:
            writer.cancel()
            with contextlib.suppress(BaseException):
                await writer


async def _forward(websocket: WebSocket, sub: Any) -> None:
    while True:
        payload = await sub.get()
        await websocket.send_text(_dumps(payload))


async def _handle_frame(
    app: Any, db: Database, assistant_id: str, visitor_id: str, raw: str
) -> dict[str, Any] | None:
    client_id = None
    try:
        if len(raw) > 64 * 1024:
            raise ValidationError("The frame is too large.")
        try:
            frame = json.loads(raw)
        except ValueError as exc:
            raise ValidationError("Frames are JSON objects.") from exc
        if not isinstance(frame, dict):
            raise ValidationError("Frames are JSON objects.")
        kind = frame.get("type")
        if kind == "ping":
            return {"type": "pong"}
        if kind != "message":
            raise ValidationError("type: must be message or ping.")
        client_id = frame.get("clientId")
        if client_id is not None and not isinstance(client_id, str):
            raise ValidationError("clientId: must be a string.")
        text = frame.get("text")
        if not isinstance(text, str):
            raise ValidationError("text: must be a string.")
        await check_visitor_rate(app.state.limiter, assistant_id, visitor_id)
        async with db.session() as session:
            fresh = await session.get(Assistant, assistant_id)
            if fresh is None:
                raise widget.WidgetNotFoundError("This chat no longer exists.")
            data = await widget.receive_text(
                session, fresh, visitor_id=visitor_id, text=text, client_id=client_id
            )
            await commit(session)
        wake_worker(app)
        return {"type": "ack", "clientId": data["clientId"], "message": data}
    except AppError as exc:
        return {"type": "error", **exc.body(), "clientId": client_id}


async def sse_events(public_id: str, request: Request) -> StreamingResponse:
    """The fallback transport: an event stream of the same frames as the WebSocket."""
    app = request.app
    db: Database = app.state.db
    assistant_id, visitor_id = await _authorize(
        db,
        app.state.limiter,
        public_id=public_id,
        origin=request.headers.get("origin"),
        token=request.query_params.get("token") or request.headers.get("x-widget-token"),
        ip=client_ip(request),
    )

    async def stream() -> AsyncIterator[str]:
        async with app.state.bus.subscribe(widget.visitor_topic(visitor_id)) as sub:
            history = await _history(db, assistant_id, visitor_id)
            yield "retry: 2000\n\n"
            hello = {"type": "hello", "visitorId": visitor_id, "history": history}
            yield f"data: {_dumps(hello)}\n\n"
            quiet = 0.0
            while True:
                # Wake every couple of seconds to notice a client that went away (the stream
                # must end promptly so the server can shut down), comment every 20 s.
                try:
                    payload = await asyncio.wait_for(sub.get(), DISCONNECT_CHECK_SECONDS)
                except TimeoutError:
                    if await request.is_disconnected():
                        return
                    quiet += DISCONNECT_CHECK_SECONDS
                    if quiet >= KEEPALIVE_SECONDS:
                        quiet = 0.0
                        yield ": keepalive\n\n"
                    continue
                quiet = 0.0
                yield f"data: {_dumps(payload)}\n\n"

    return StreamingResponse(
        stream(),
        media_type="text/event-stream",
        headers={
            "Cache-Control": "no-cache",
            "X-Accel-Buffering": "no",
        },
    )
