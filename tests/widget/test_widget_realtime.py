"""The realtime gateway over real HTTP (uvicorn): WebSocket and the SSE fallback, Origin checks
on the handshake, the AI's reply and an agent's reply arriving live."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import httpx
import websockets
from sqlalchemy import select

from repdesk.channels.base import OutboundMessage
from repdesk.conversations import service as conversations
from repdesk.conversations.models import Conversation
from repdesk.db.engine import Database
from tests.conftest import LiveServer
from tests.conversations.helpers import send_as
from tests.widget.conftest import ORIGIN, WidgetSetup, make_widget, visitor


async def live_widget(
    live_server: LiveServer, db: Database
) -> tuple[httpx.AsyncClient, WidgetSetup]:
    client = httpx.AsyncClient(
        base_url=live_server.url, timeout=60
    )  # a loaded CI machine: setup requests took 13 s once
    return client, await make_widget(client, db)


def ws_url(live_server: LiveServer, setup: WidgetSetup, token: str) -> str:
    return live_server.url.replace("http", "ws") + f"{setup.api}/ws?token={token}"


async def next_frame(ws: Any, kind: str, timeout: float = 15) -> dict[str, Any]:
    async def find() -> dict[str, Any]:
        while True:
            frame = json.loads(await ws.recv())
            if frame["type"] == kind:
                return frame

    return await asyncio.wait_for(find(), timeout)


async def test_websocket_chat_with_ai_reply_and_history(
    db: Database, live_server: LiveServer
) -> None:
    client, setup = await live_widget(live_server, db)
    token = await visitor(client, setup)
    async with websockets.connect(ws_url(live_server, setup, token), origin=ORIGIN) as ws:
        hello = await next_frame(ws, "hello")
        assert hello["history"] == []
        await ws.send(json.dumps({"type": "message", "clientId": "c1", "text": "Hello there"}))
        ack = await next_frame(ws, "ack")
        assert ack["clientId"] == "c1" and ack["message"]["text"] == "Hello there"
        await ws.send(json.dumps({"type": "ping"}))
        assert (await next_frame(ws, "pong"))["type"] == "pong"
        while True:
            frame = await next_frame(ws, "message")
            if frame["message"]["direction"] == "out":
                break
        assert frame["message"]["sender"] == "ai" and frame["message"]["text"]
        await ws.send("not json")
        err = await next_frame(ws, "error")
        assert err["code"] == "VALIDATION_ERROR"
    # A new connection (a page reload) gets the history.
    async with websockets.connect(ws_url(live_server, setup, token), origin=ORIGIN) as ws:
        hello = await next_frame(ws, "hello")
        texts = [(m["direction"], m["text"]) for m in hello["history"]]
        assert texts[0] == ("in", "Hello there") and texts[1][0] == "out"
    await client.aclose()


async def test_websocket_handshake_checks_origin_and_token(
    db: Database, live_server: LiveServer
) -> None:
    client, setup = await live_widget(live_server, db)
    token = await visitor(client, setup)
    for origin, token_used, code, close in (
        ("https://evil.example.net", token, "WIDGET_ORIGIN_NOT_ALLOWED", 4403),
        (ORIGIN, token + "0", "INVALID_VISITOR_TOKEN", 4401),
    ):
        async with websockets.connect(ws_url(live_server, setup, token_used), origin=origin) as ws:
            err = await next_frame(ws, "error")
            assert err["code"] == code
            await asyncio.wait_for(ws.wait_closed(), 5)
            assert ws.close_code == close
    await client.aclose()


async def test_agent_reply_reaches_an_open_websocket(db: Database, live_server: LiveServer) -> None:
    client, setup = await live_widget(live_server, db)
    token = await visitor(client, setup)
    async with websockets.connect(ws_url(live_server, setup, token), origin=ORIGIN) as ws:
        await next_frame(ws, "hello")
        await ws.send(json.dumps({"type": "message", "clientId": "c1", "text": "I need a person"}))
        await next_frame(ws, "ack")
        async with db.transaction() as s:
            conv = await s.scalar(select(Conversation))
            assert conv is not None
            await conversations.set_automation(s, conv, False)
            out = await send_as(
                s,
                conversation=conv,
                sender="agent",
                outbound=OutboundMessage(type="text", text="Hi, this is Ada from the shop."),
            )
        while True:
            frame = await next_frame(ws, "message")
            if frame["message"]["id"] == out.id:
                break
        assert frame["message"]["sender"] == "agent"
        assert frame["message"]["text"] == "Hi, this is Ada from the shop."
    await client.aclose()


async def test_sse_fallback_streams_history_and_new_messages(
    db: Database, live_server: LiveServer
) -> None:
    client, setup = await live_widget(live_server, db)
    token = await visitor(client, setup)
    headers = {"Origin": ORIGIN, "X-Widget-Token": token}
    await client.patch(f"/api/assistants/{setup.assistant_id}/widget", json={})
    frames: list[dict[str, Any]] = []

    async def read() -> None:
        async with client.stream(
            "GET", f"{setup.api}/events", params={"token": token}, headers={"Origin": ORIGIN}
        ) as r:
            assert r.status_code == 200
            assert r.headers["content-type"].startswith("text/event-stream")
            async for line in r.aiter_lines():
                if line.startswith("data: "):
                    frames.append(json.loads(line[6:]))
                    if any(
                        f["type"] == "message" and f["message"]["direction"] == "out"
                        for f in frames
                    ):
                        return

    reader = asyncio.create_task(read())
    for _ in range(100):
        if frames:
            break
        await asyncio.sleep(0.05)
    assert frames and frames[0]["type"] == "hello"
    sent = await client.post(
        f"{setup.api}/messages", json={"text": "Hello", "clientId": "s1"}, headers=headers
    )
    assert sent.status_code == 201
    await asyncio.wait_for(reader, 20)
    kinds = [f["type"] for f in frames]
    assert "typing" in kinds
    echoed = [f for f in frames if f["type"] == "message" and f["message"]["clientId"] == "s1"]
    assert echoed, frames
    bad = await client.get(
        f"{setup.api}/events", params={"token": token}, headers={"Origin": "https://x.test"}
    )
    assert bad.status_code == 403
    await client.aclose()


async def test_two_widgets_do_not_see_each_others_messages(
    db: Database, live_server: LiveServer
) -> None:
    client, setup = await live_widget(live_server, db)
    alice, bob = await visitor(client, setup), await visitor(client, setup)
    async with websockets.connect(ws_url(live_server, setup, bob), origin=ORIGIN) as ws_bob:
        await next_frame(ws_bob, "hello")
        r = await client.post(
            f"{setup.api}/messages",
            json={"text": "Alice's secret"},
            headers={"Origin": ORIGIN, "X-Widget-Token": alice},
        )
        assert r.status_code == 201
        try:
            frame = await next_frame(ws_bob, "message", timeout=1.5)
        except TimeoutError:
            frame = None
        assert frame is None
    await client.aclose()
