"""Live updates: the inbox stream (server-sent events) on one replica sees a webhook that
arrived at another replica, through Redis pub/sub (two uvicorn servers, one database)."""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import socket
import subprocess
import time
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest

from repdesk.app import create_app
from repdesk.config import Settings
from repdesk.db.engine import Database
from tests.conftest import LiveServer, free_port
from tests.fakes.graph import FakeGraph
from tests.inbox.helpers import setup_whatsapp
from tests.whatsapp.helpers import dumps, envelope, sign, text


@pytest.fixture
def redis_url() -> Iterator[str]:
    binary = shutil.which("redis-server")
    if binary is None:
        if os.environ.get("CI") == "true":
            pytest.fail("redis-server is not installed (scripts/setup.sh installs it)")
        pytest.skip("redis-server is not installed")
    port = free_port()
    proc = subprocess.Popen(
        [binary, "--port", str(port), "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.time() + 10
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            break
        except OSError:
            if time.time() > deadline:
                proc.kill()
                raise RuntimeError("redis-server did not start") from None
            time.sleep(0.05)
    yield f"redis://127.0.0.1:{port}/0"
    proc.terminate()
    proc.wait(10)


def replica(settings: Settings, redis_url: str, *, worker: bool = False) -> LiveServer:
    port = free_port()
    s = settings.model_copy(
        update={
            "redis_url": redis_url,
            "port": port,
            "public_url": f"http://127.0.0.1:{port}",
            "worker_in_process": worker,
            "job_poll_interval": 0.05,
        }
    )
    server = LiveServer(create_app(s), port)
    server.start()
    return server


async def events(resp: httpx.Response) -> AsyncIterator[tuple[str, dict[str, Any]]]:
    name = ""
    async for line in resp.aiter_lines():
        if line.startswith("event: "):
            name = line[7:]
        elif line.startswith("data: "):
            yield name, json.loads(line[6:])


async def test_stream_on_one_replica_sees_a_webhook_received_by_another(
    settings: Settings, db: Database, graph: FakeGraph, redis_url: str
) -> None:
    # A receives the webhook and runs the jobs (the ingest publishes message.received);
    # B only serves the stream.
    a, b = replica(settings, redis_url, worker=True), replica(settings, redis_url)
    try:
        async with (
            httpx.AsyncClient(base_url=a.url) as ca,
            httpx.AsyncClient(base_url=b.url, timeout=20) as cb,
        ):
            aid, webhook_url = await setup_whatsapp(ca, db, graph)
            path = webhook_url.rsplit("/", 1)[1]
            cb.cookies = ca.cookies

            async with cb.stream("GET", f"/api/assistants/{aid}/inbox/stream") as resp:
                assert resp.status_code == 200
                assert resp.headers["content-type"].startswith("text/event-stream")
                stream = events(resp)
                name, _ = await asyncio.wait_for(anext(stream), 10)
                assert name == "ready"
                body = dumps(envelope(graph, messages=[text("hello <from> replica A")]))
                posted = await ca.post(
                    f"/webhooks/whatsapp_cloud/{path}",
                    content=body,
                    headers={"x-hub-signature-256": sign(body)},
                )
                assert posted.status_code == 200

                async def first_received() -> dict[str, Any]:
                    async for ev_name, env in stream:
                        if ev_name == "message.received":
                            return env
                    raise AssertionError("stream ended")

                env = await asyncio.wait_for(first_received(), 10)
                assert env["assistantId"] == aid
                assert env["data"]["text"] == "hello <from> replica A"
                assert env["data"]["channel"] == "whatsapp" and env["data"]["direction"] == "in"
    finally:
        a.stop()
        b.stop()
