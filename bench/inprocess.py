"""In-process cost of a Developer API send and of a WhatsApp webhook: SQL statements and CPU
per request, with no server processes, so that two versions of the code can be compared on a
busy machine (CPU time and statement counts move far less with the load than wall-clock rates).

    .venv/bin/python bench/inprocess.py [--sends 400] [--webhooks 1000] [--backend sqlite|postgres]

Sends: ``POST /v1/messages/send`` through the ASGI app (httpx's ASGI transport), the fake Graph
API in its own process, 20 warm-up sends, then ``--sends`` timed ones: statements per send (every
cursor execution), CPU ms per send (this process: the app and the client), p50/p99 latency.
Webhooks (SQLite only: the worker is drained in this process): ``--webhooks`` signed Cloud API
messages from one customer in five, acknowledged through the app (CPU and statements per
message), then one worker (concurrency 1) drains every job; its CPU per message is split by job
kind. Peak RSS at the end. Run it from the root of the checkout whose code is measured.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path.cwd()
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "src"))

import httpx  # noqa: E402
from sqlalchemy import event  # noqa: E402

PG = "postgresql://postgres@127.0.0.1:5432/test"


def _counter(db: Any) -> list[int]:
    """A one-element list counting every statement the database's engine executes."""
    seen = [0]

    @event.listens_for(db.engine.sync_engine, "before_cursor_execute")
    def count(*_args: Any) -> None:
        seen[0] += 1

    return seen


def _pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * p / 100))]


async def sends(n: int, backend: str) -> dict[str, Any]:
    from tests.fakes.graph import FakeGraph

    from bench.api import drop_pg, make_pg, seed, send_request
    from repdesk import config, vault
    from repdesk.app import create_app, load_modules
    from repdesk.channels.whatsapp.config import reset_whatsapp_settings
    from repdesk.db.engine import Database
    from repdesk.db.migrate import upgrade

    graph_proc = subprocess.Popen(
        [sys.executable, "-m", "tests.fakes.graph"], cwd=ROOT, stdout=subprocess.PIPE, text=True
    )
    tmp = Path(tempfile.mkdtemp(prefix="bench-inprocess-"))
    pg_name = ""
    try:
        assert graph_proc.stdout is not None
        graph = FakeGraph(url=json.loads(graph_proc.stdout.readline())["url"])
        if backend == "postgres":
            pg_name, url = await make_pg(PG)
        else:
            url = f"sqlite+aiosqlite:///{tmp / 'repdesk.db'}"
        await asyncio.to_thread(upgrade, url)
        os.environ.update(
            REPDESK_GRAPH_API_URL=graph.url,
            REPDESK_API_RATE_SEND="1000000/minute",
            REPDESK_API_RATE_BURST="1000000/second",
        )
        reset_whatsapp_settings()
        settings = config.Settings(data_dir=tmp, database_url=url, allow_private_webhooks=True)
        config.use_settings(settings)
        vault.init("", tmp)
        load_modules()
        db = Database(url)
        _, key = await seed(db, graph)
        app = create_app(settings, db=db)
        statements = _counter(db)
        body, headers = send_request(key)
        latencies = []
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
            for _ in range(20):
                (
                    await client.post("/v1/messages/send", content=body, headers=headers)
                ).raise_for_status()
            statements[0] = 0
            cpu0 = time.process_time()
            for _ in range(n):
                t0 = time.perf_counter()
                response = await client.post("/v1/messages/send", content=body, headers=headers)
                latencies.append(time.perf_counter() - t0)
                response.raise_for_status()
            cpu = time.process_time() - cpu0
        await db.dispose()
        return {
            "backend": backend,
            "sends": n,
            "statements_per_send": round(statements[0] / n, 2),
            "cpu_ms_per_send": round(cpu * 1000 / n, 2),
            "sends_per_second": round(n / sum(latencies), 1),
            "p50_ms": round(_pct(latencies, 50) * 1000, 2),
            "p99_ms": round(_pct(latencies, 99) * 1000, 2),
        }
    finally:
        graph_proc.terminate()
        graph_proc.wait(10)
        if pg_name:
            await drop_pg(PG, pg_name)


async def webhooks(n: int) -> dict[str, Any]:
    from bench.ingest import payloads, prepare
    from repdesk import config
    from repdesk.app import create_app, load_modules
    from repdesk.db.engine import Database
    from repdesk.db.migrate import upgrade
    from repdesk.jobs.worker import Worker

    tmp = Path(tempfile.mkdtemp(prefix="bench-inprocess-"))
    data = tmp / "data"
    data.mkdir()
    url = f"sqlite+aiosqlite:///{tmp / 'repdesk.db'}"
    await asyncio.to_thread(upgrade, url)
    path = "/webhooks/whatsapp_cloud/" + await prepare(url, data)
    settings = config.Settings(data_dir=data, database_url=url, public_url="http://127.0.0.1")
    config.use_settings(settings)
    load_modules()
    db = Database(url)
    app = create_app(settings, db=db)
    statements = _counter(db)
    latencies = []
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://bench"
    ) as client:
        cpu0 = time.process_time()
        for body, signature in payloads(n, max(1, n // 5), "INPROC"):
            t0 = time.perf_counter()
            response = await client.post(
                path,
                content=body,
                headers={"X-Hub-Signature-256": signature, "Content-Type": "application/json"},
            )
            latencies.append(time.perf_counter() - t0)
            response.raise_for_status()
        ack_cpu = time.process_time() - cpu0
    ack_statements, statements[0] = statements[0], 0
    per_kind: collections.Counter[str] = collections.Counter()
    run_job = Worker.run_job

    async def timed(self: Worker, job: Any) -> Any:
        t0 = time.process_time()
        try:
            return await run_job(self, job)
        finally:
            per_kind[job.kind] += time.process_time() - t0

    Worker.run_job = timed  # type: ignore[method-assign]
    cpu0 = time.process_time()
    await Worker(db, concurrency=1).drain()
    drain_cpu = time.process_time() - cpu0
    await db.dispose()
    return {
        "webhooks": n,
        "ack_statements_per_message": round(ack_statements / n, 2),
        "ack_cpu_ms_per_message": round(ack_cpu * 1000 / n, 2),
        "ack_p50_ms": round(_pct(latencies, 50) * 1000, 2),
        "ack_p99_ms": round(_pct(latencies, 99) * 1000, 2),
        "worker_statements_per_message": round(statements[0] / n, 2),
        "worker_cpu_ms_per_message": round(drain_cpu * 1000 / n, 2),
        "worker_cpu_ms_per_message_by_kind": {
            kind: round(seconds * 1000 / n, 2) for kind, seconds in sorted(per_kind.items())
        },
    }


async def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sends", type=int, default=400)
    ap.add_argument("--webhooks", type=int, default=1000, help="0: skip (SQLite only)")
    ap.add_argument("--backend", choices=["sqlite", "postgres"], default="sqlite")
    args = ap.parse_args()
    result: dict[str, Any] = {"sends": await sends(args.sends, args.backend)}
    if args.webhooks and args.backend == "sqlite":
        result["webhooks"] = await webhooks(args.webhooks)
    result["peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    print(json.dumps(result))


if __name__ == "__main__":
    asyncio.run(main())
