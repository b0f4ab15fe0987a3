"""Helpers shared by the benchmark scripts."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import json
import os
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any


def pct(values: list[float], p: float) -> float:
    """The p-th percentile (nearest rank); NaN for no values."""
    if not values:
        return float("nan")
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]


def _status_mb(pid: int, field: str) -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return float("nan")


def rss_mb(pid: int) -> float:
    """Resident set size of process ``pid`` in MB (NaN once it is gone)."""
    return _status_mb(pid, "VmRSS")


def peak_rss_mb(pid: int) -> float:
    """Peak resident set size of process ``pid`` in MB (NaN once it is gone)."""
    return _status_mb(pid, "VmHWM")


def cpu_seconds(pid: int) -> float:
    """User + system CPU time process ``pid`` has used (from /proc; 0 when unavailable)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return 0.0


def children(pid: int) -> list[int]:
    """Direct child processes of ``pid`` (uvicorn's worker processes, say)."""
    out = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid:
                out.append(int(entry.name))
    return out


def tree_cpu_seconds(pid: int) -> float:
    """CPU time of ``pid`` and its direct children."""
    return cpu_seconds(pid) + sum(cpu_seconds(c) for c in children(pid))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class RawClient:
    """A minimal keep-alive HTTP/1.1 client over one connection, for load generation.

    The benchmarks run the client on the same two cores as the server; httpx spends about a
    millisecond of CPU per request, which this spends a tenth of, so more of the machine is
    left to the server being measured. Only what the benchmarks need: Content-Length bodies.
    """

    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        self._reader: asyncio.StreamReader | None = None
        self._writer: asyncio.StreamWriter | None = None

    async def request(
        self, method: str, path: str, body: bytes = b"", headers: dict[str, str] | None = None
    ) -> tuple[int, bytes]:
        if self._writer is None:
            self._reader, self._writer = await asyncio.open_connection(self.host, self.port)
        assert self._reader is not None
        head = [
            f"{method} {path} HTTP/1.1",
            f"Host: {self.host}:{self.port}",
            f"Content-Length: {len(body)}",
        ]
        head += [f"{k}: {v}" for k, v in (headers or {}).items()]
        self._writer.write(("\r\n".join(head) + "\r\n\r\n").encode() + body)
        status_line = await self._reader.readline()
        if not status_line:
            raise ConnectionError("the server closed the connection")
        status = int(status_line.split()[1])
        length, close = 0, False
        while (line := await self._reader.readline()) not in (b"\r\n", b""):
            name, _, value = line.decode("latin-1").partition(":")
            name = name.strip().lower()
            if name == "content-length":
                length = int(value)
            elif name == "connection" and value.strip().lower() == "close":
                close = True
        data = await self._reader.readexactly(length) if length else b""
        if close:
            await self.close()
        return status, data

    async def close(self) -> None:
        if self._writer is not None:
            self._writer.close()
            self._writer = None


def signed_text_webhooks(
    n: int,
    *,
    waba: str,
    phone_number_id: str,
    display_phone: str,
    app_secret: str,
    wamid_prefix: str,
    contacts: int,
    text: str = "Hello, is item {i} in stock?",
) -> list[tuple[bytes, str]]:
    """n Cloud API webhooks, one customer text each from ``contacts`` different numbers, with
    their ``X-Hub-Signature-256`` (the body is sent as built: non-ASCII text stays unescaped)."""
    now = int(time.time())
    out = []
    for i in range(n):
        wa_id = f"234803{i % contacts:07d}"
        body = json.dumps(
            {
                "object": "whatsapp_business_account",
                "entry": [
                    {
                        "id": waba,
                        "changes": [
                            {
                                "field": "messages",
                                "value": {
                                    "messaging_product": "whatsapp",
                                    "metadata": {
                                        "display_phone_number": display_phone,
                                        "phone_number_id": phone_number_id,
                                    },
                                    "contacts": [
                                        {
                                            "profile": {"name": f"Customer {i % contacts}"},
                                            "wa_id": wa_id,
                                        }
                                    ],
                                    "messages": [
                                        {
                                            "from": wa_id,
                                            "id": f"{wamid_prefix}{i:08d}",
                                            "timestamp": str(now),
                                            "type": "text",
                                            "text": {"body": text.format(i=i, price=i * 100)},
                                        }
                                    ],
                                },
                            }
                        ],
                    }
                ],
            },
            separators=(",", ":"),
            ensure_ascii=False,
        ).encode()
        sig = "sha256=" + hmac.new(app_secret.encode(), body, hashlib.sha256).hexdigest()
        out.append((body, sig))
    return out


async def post_webhooks(
    port: int,
    path: str,
    items: list[tuple[bytes, str]],
    concurrency: int,
    *,
    signature_header: str = "x-hub-signature-256",
) -> tuple[float, list[float], int]:
    """POST signed webhooks over ``concurrency`` keep-alive connections: (seconds, latencies in
    seconds, non-200 answers). Each item is (body, its signature in ``signature_header``)."""
    latencies: list[float] = []
    errors = 0
    queue: asyncio.Queue[tuple[bytes, str]] = asyncio.Queue()
    for item in items:
        queue.put_nowait(item)

    async def worker() -> None:
        nonlocal errors
        client = RawClient("127.0.0.1", port)
        try:
            while True:
                try:
                    body, sig = queue.get_nowait()
                except asyncio.QueueEmpty:
                    return
                t0 = time.perf_counter()
                status, _ = await asyncio.wait_for(
                    client.request(
                        "POST",
                        path,
                        body,
                        {"content-type": "application/json", signature_header: sig},
                    ),
                    60,
                )
                latencies.append(time.perf_counter() - t0)
                if status != 200:
                    errors += 1
        finally:
            await client.close()

    t0 = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return time.perf_counter() - t0, latencies, errors


# -- a PostgreSQL database per run -------------------------------------------------------------


def _asyncpg(url: str) -> str:
    return url.replace("postgresql://", "postgresql+asyncpg://", 1)


async def make_pg(admin_url: str, prefix: str = "repdesk_bench") -> tuple[str, str]:
    """A fresh database beside ``admin_url``'s: (its name, its SQLAlchemy asyncpg URL)."""
    from sqlalchemy import text
    from sqlalchemy.ext.asyncio import create_async_engine

    name = f"{prefix}_{uuid.uuid4().hex[:8]}"
    eng = create_async_engine(_asyncpg(admin_url), isolation_level="AUTOCOMMIT")
    async with eng.connect() as c:
        await c.execute(text(f'CREATE DATABASE "{name}"'))
    await eng.dispose()
    return name, _asyncpg(f"{admin_url.rsplit('/', 1)[0]}/{name}")


async def drop_pg(admin_url: str, name: str) -> None:
    """Drop a database :func:`make_pg` made, whoever is still connected to it."""
    from sqlalchemy import text
    from sqlalchemy.ext.asyncio import create_async_engine

    eng = create_async_engine(_asyncpg(admin_url), isolation_level="AUTOCOMMIT")
    async with eng.connect() as c:
        await c.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    await eng.dispose()


@contextlib.contextmanager
def fake_graph_process(root: Path) -> Iterator[Any]:
    """The tests' fake Graph API in a process of its own (so that its work is not counted as
    repdesk's), as a ``FakeGraph`` handle; its fixed test credentials are FakeGraph's defaults."""
    from tests.fakes.graph import FakeGraph

    proc = subprocess.Popen(
        [sys.executable, "-m", "tests.fakes.graph"],
        cwd=str(root),
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        yield FakeGraph(url=json.loads(proc.stdout.readline())["url"])
    finally:
        proc.terminate()
        proc.wait(10)


async def connected_shop(session: Any, graph: Any, *, app_secret: str) -> Any:
    """A verified account whose WhatsApp assistant is connected to the fake Graph API
    (``graph``), with credits enough for any run. Returns the assistant."""
    from sqlalchemy import update

    from repdesk.accounts import service as accounts
    from repdesk.accounts.models import Workspace
    from repdesk.assistants import service as assistants
    from repdesk.channels.whatsapp import service as wa

    _user, ws = await accounts.register(
        session,
        email=f"bench-{uuid.uuid4().hex[:6]}@shop.test",
        password="bench password 123",
        business_name="Bench Shop",
        verified=True,
        send_email=False,
    )
    assistant = await assistants.create(
        session, workspace_id=ws.id, name="Bench", platform="whatsapp"
    )
    await wa.connect_byok(
        session,
        assistant,
        access_token=graph.access_token,
        phone_number_id=graph.phone_number_id,
        business_account_id=graph.business_account_id,
        phone_number=graph.e164,
        app_secret=app_secret,
    )
    await session.execute(update(Workspace).where(Workspace.id == ws.id).values(credits=10**9))
    return assistant
