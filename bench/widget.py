"""Web widget benchmark: many concurrent widget sessions on one ``repdesk serve`` process.

    .venv/bin/python bench/widget.py [--sessions 1000] [--messages 300] [--rate 20]
                                     [--burst 200] [--pg postgresql://postgres@127.0.0.1:5432/test]

1. One ``repdesk serve`` process (in-process worker, built-in AI engine, SQLite by default) with
   a widget assistant whose allowed domain is the bench's Origin.
2. ``--sessions`` visitors each get a token (``POST /session``) and open a WebSocket; they stay
   open for the whole run. Memory per idle connection = (server RSS with all sockets open -
   RSS with the first tenth open) / the other nine tenths.
3. Round trip, steady: ``--messages`` messages from distinct open sessions at ``--rate`` per
   second; each is timed from the send to the AI's reply frame on the same socket
   (visitor -> WebSocket -> record_inbound -> ai.reply job -> built-in engine -> channel.send job
   -> widget sender -> bus -> WebSocket).
4. Round trip, burst: ``--burst`` other sessions send at the same instant.
5. Sessions still open at the end = how many it holds.

The load generator runs on the same machine (it shares the CPU with the server).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.common import free_port, pct  # noqa: E402

ORIGIN = "https://bench.example.com"


def rss_kb(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def server_env(data_dir: Path, port: int, pg: str | None) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        {
            "REPDESK_DATA_DIR": str(data_dir),
            "REPDESK_DATABASE_URL": pg or "",
            "REPDESK_HOST": "127.0.0.1",
            "REPDESK_PORT": str(port),
            "REPDESK_SECRET_KEY": "bench-secret-key-not-for-production",
            "REPDESK_LOG_LEVEL": "WARNING",
            "REPDESK_SIGNUP_CREDITS": "1000000",
            "REPDESK_WIDGET_IP_RATE_LIMIT": "10000000/minute",  # every bench visitor shares one IP
            "REPDESK_WIDGET_SESSION_RATE_LIMIT": "10000000/minute",
            "REPDESK_WIDGET_VISITOR_RATE_LIMIT": "1000/minute",
            "REPDESK_TRANSCRIPTION_PROVIDER": "none",
        }
    )
    return env


async def prepare(env: dict[str, str]) -> str:
    """Migrate, create the owner and the widget assistant; returns the widget's public id."""
    os.environ.update(env)
    from repdesk import vault
    from repdesk.accounts import service as accounts
    from repdesk.assistants import service as assistants
    from repdesk.channels.widget import service as widget
    from repdesk.config import Settings, use_settings
    from repdesk.db.engine import Database
    from repdesk.db.migrate import upgrade_async

    settings = Settings()
    use_settings(settings)
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    vault.init(settings.secret_key, settings.data_dir)
    url = settings.resolved_database_url
    await upgrade_async(url)
    db = Database(url)
    async with db.transaction() as session:
        _, ws = await accounts.register(
            session,
            email=f"bench{time.time_ns()}@bench.test",
            password="bench-password-123",
            business_name="Bench Shop",
            verified=True,
            send_email=False,
        )
        assistant = await assistants.create(
            session, workspace_id=ws.id, name="Bench", platform="widget"
        )
        s = await widget.update_widget(
            session, assistant, {"allowedDomains": ["bench.example.com"]}
        )
    await db.dispose()
    return str(s["publicId"])


class Session:
    def __init__(self, token: str) -> None:
        self.token = token
        self.ws: Any = None
        self.waiter: asyncio.Future[float] | None = None
        self.acked: asyncio.Future[float] | None = None
        self.reader: asyncio.Task[None] | None = None

    async def open(self, url: str) -> None:
        import websockets

        self.ws = await websockets.connect(
            f"{url}?token={self.token}", origin=ORIGIN, max_size=2**20, ping_interval=None
        )
        hello = json.loads(await self.ws.recv())
        assert hello["type"] == "hello", hello
        self.reader = asyncio.create_task(self._read())

    async def _read(self) -> None:
        try:
            async for raw in self.ws:
                frame = json.loads(raw)
                if frame.get("type") == "ack" and self.acked is not None and not self.acked.done():
                    self.acked.set_result(time.perf_counter())
                if (
                    frame.get("type") == "message"
                    and frame["message"]["direction"] == "out"
                    and self.waiter is not None
                    and not self.waiter.done()
                ):
                    self.waiter.set_result(time.perf_counter())
        except Exception:
            pass

    async def round_trip(self, text: str, timeout: float = 60) -> tuple[float, float]:
        """(ms until the server stored the message and acked it, ms until the AI's reply)."""
        loop = asyncio.get_running_loop()
        self.waiter, self.acked = loop.create_future(), loop.create_future()
        started = time.perf_counter()
        await self.ws.send(json.dumps({"type": "message", "text": text}))
        done = await asyncio.wait_for(self.waiter, timeout)
        acked = await asyncio.wait_for(self.acked, timeout)
        return (acked - started) * 1000, (done - started) * 1000

    @property
    def is_open(self) -> bool:
        from websockets.protocol import State

        return self.ws is not None and self.ws.state is State.OPEN


async def gather_limited(n: int, limit: int, make: Any) -> list[Any]:
    sem = asyncio.Semaphore(limit)

    async def one(i: int) -> Any:
        async with sem:
            return await make(i)

    return await asyncio.gather(*(one(i) for i in range(n)), return_exceptions=True)


async def run(args: argparse.Namespace) -> dict[str, Any]:
    import httpx

    data_dir = Path(tempfile.mkdtemp(prefix="repdesk-bench-widget-"))
    port = free_port()
    env = server_env(data_dir, port, args.pg)
    public_id = await prepare(env)
    base = f"http://127.0.0.1:{port}"
    proc = subprocess.Popen(
        [str(ROOT / ".venv/bin/repdesk"), "serve", "--no-migrate"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    sessions: list[Session] = []
    try:
        async with httpx.AsyncClient(
            base_url=base, timeout=30, limits=httpx.Limits(max_connections=50)
        ) as client:
            for _ in range(200):
                try:
                    if (await client.get("/healthz")).status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                await asyncio.sleep(0.1)
            api = f"/widget/v1/{public_id}"
            for _ in range(20):  # warm up the routes before measuring memory
                await client.get(f"{api}/config", headers={"Origin": ORIGIN})
            await asyncio.sleep(1)
            rss_before = rss_kb(proc.pid)

            t0 = time.perf_counter()

            async def new_session(_: int) -> Session:
                r = await client.post(f"{api}/session", json={}, headers={"Origin": ORIGIN})
                r.raise_for_status()
                return Session(r.json()["token"])

            made = await gather_limited(args.sessions, 50, new_session)
            sessions = [s for s in made if isinstance(s, Session)]
            token_s = time.perf_counter() - t0

            ws_url = f"ws://127.0.0.1:{port}{api}/ws"
            t0 = time.perf_counter()
            # The first tenth warms the server (allocator arenas, SQL caches); memory per idle
            # connection is measured over the other nine tenths.
            warm = max(1, len(sessions) // 10)
            opened = await gather_limited(warm, 100, lambda i: sessions[i].open(ws_url))
            await asyncio.sleep(1)
            rss_warm = rss_kb(proc.pid)
            opened += await gather_limited(
                len(sessions) - warm, 100, lambda i: sessions[warm + i].open(ws_url)
            )
            connect_s = time.perf_counter() - t0
            open_errors = [repr(e) for e in opened if isinstance(e, BaseException)][:3]
            await asyncio.sleep(2)
            rss_open = rss_kb(proc.pid)
            live = [s for s in sessions if s.is_open]

            # warm up the engine (its first answer loads models and fills caches) on one
            # session that is not measured afterwards
            connected = len(live)
            warmup_ms = (await live[-1].round_trip("Hello"))[1]
            live = live[:-1]

            # steady round trips
            steady: list[float] = []
            steady_ack: list[float] = []
            steady_failures = 0
            interval = 1.0 / args.rate
            tasks = []
            for i in range(min(args.messages, len(live))):
                tasks.append(asyncio.create_task(live[i].round_trip("Hello, are you open today?")))
                await asyncio.sleep(interval)
            for result in await asyncio.gather(*tasks, return_exceptions=True):
                if isinstance(result, tuple):
                    steady_ack.append(result[0])
                    steady.append(result[1])
                else:
                    steady_failures += 1

            # burst round trips, from sessions that have not sent yet
            rest = live[args.messages : args.messages + args.burst]
            t0 = time.perf_counter()
            results = await asyncio.gather(
                *(s.round_trip("Hello!") for s in rest), return_exceptions=True
            )
            burst_s = time.perf_counter() - t0
            burst = [r[1] for r in results if isinstance(r, tuple)]
            rss_end = rss_kb(proc.pid)
            still_open = sum(1 for s in sessions if s.is_open)
    finally:
        for s in sessions:
            if s.reader:
                s.reader.cancel()
            if s.ws is not None:
                with contextlib.suppress(Exception):
                    await asyncio.wait_for(s.ws.close(), 1)
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()

    per_conn_kb = (rss_open - rss_warm) / max(1, connected - warm)
    return {
        "machine": f"{os.cpu_count()} cores, {platform.python_implementation()} {platform.python_version()}",
        "database": "postgresql" if args.pg else "sqlite",
        "sessions_requested": args.sessions,
        "sessions_connected": connected,
        "sessions_open_at_end": still_open,
        "open_errors": open_errors,
        "tokens_per_s": round(len(sessions) / token_s, 1),
        "connects_per_s": round(len(live) / connect_s, 1),
        "server_rss_mb": {
            "before": round(rss_before / 1024, 1),
            "first_tenth_open": round(rss_warm / 1024, 1),
            "all_open": round(rss_open / 1024, 1),
            "end": round(rss_end / 1024, 1),
        },
        "memory_per_idle_connection_kb": round(per_conn_kb, 1),
        "first_reply_ms": round(warmup_ms, 1),
        "steady": {
            "rate_per_s": args.rate,
            "messages": len(steady),
            "failures": steady_failures,
            "ack_p50_ms": round(pct(steady_ack, 50), 1),
            "ack_p99_ms": round(pct(steady_ack, 99), 1),
            "p50_ms": round(pct(steady, 50), 1),
            "p99_ms": round(pct(steady, 99), 1),
            "max_ms": round(max(steady), 1) if steady else None,
        },
        "burst": {
            "messages": len(burst),
            "failures": len(rest) - len(burst),
            "seconds": round(burst_s, 2),
            "replies_per_s": round(len(burst) / burst_s, 1) if burst_s else None,
            "p50_ms": round(pct(burst, 50), 1),
            "p99_ms": round(pct(burst, 99), 1),
        },
    }


def main() -> None:
    p = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument("--sessions", type=int, default=1000)
    p.add_argument("--messages", type=int, default=300, help="steady-rate round trips")
    p.add_argument("--rate", type=float, default=20.0, help="steady messages per second")
    p.add_argument("--burst", type=int, default=200, help="simultaneous round trips")
    p.add_argument("--pg", default=None, help="PostgreSQL URL (a fresh database is NOT created)")
    args = p.parse_args()
    result = asyncio.run(run(args))
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
