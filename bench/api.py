"""Developer API benchmark: ``POST /v1/messages/send`` against the fake Graph API at increasing
concurrency, and signed webhook deliveries to a local receiver, on SQLite and PostgreSQL.

    .venv/bin/python bench/api.py [--sends 2000] [--concurrency 1,4,8,16,32] [--rates 300]
        [--rate-seconds 10] [--deliveries 3000]
        [--backends sqlite,postgres] [--servers 1] [--workers 2]

repdesk runs as ``repdesk serve --no-worker`` (``--servers`` web processes) plus ``--workers``
``repdesk worker`` processes; the fake Graph API in its own process; the webhook receiver in
Node (``tests/fakes/webhook_receiver.js``); the load generator (a raw keep-alive client) here.
Rate limits are raised for the run (the seed's 100 sends/min per key would cap it at 1.7/s).

Sends: each request is the full synchronous path (auth, rate limit, validate, charge, store,
Graph call, answer). Reported: requests/s, p50/p99 latency, web-process CPU per send. Then
open loop (``--rates``): sends start at a fixed rate for ``--rate-seconds``, and each latency
counts from when the send was due, so p99 says what a client sending that many per second sees.
Deliveries, twice, to a Node receiver that verifies every signature: (1) the delivery pipeline
alone: N customer messages are recorded with their ``webhooks.deliver`` jobs held back, then
released at once (deliveries/s from the release, p50/p99 release -> delivered); (2) end to end:
N signed Cloud API webhooks posted to the server, stored by the ingest job, whose transaction
writes each delivery (deliveries/s from the first webhook, p50/p99 created -> delivered).
Memory: the server's resident set size at the end.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import func, select, update

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.common import (  # noqa: E402
    RawClient,
    children,
    connected_shop,
    drop_pg,
    fake_graph_process,
    free_port,
    make_pg,
    pct,
    post_webhooks,
    rss_mb,
    signed_text_webhooks,
    tree_cpu_seconds,
)
from repdesk.db.engine import Database  # noqa: E402
from repdesk.db.migrate import upgrade  # noqa: E402
from repdesk.developer_api.models import WebhookDelivery  # noqa: E402
from repdesk.jobs.models import Job  # noqa: E402
from repdesk.kit.time import utcnow  # noqa: E402

CUSTOMER = "+2348031234567"


APP_SECRET = "bench-app-secret"


async def seed(db: Database, graph: Any) -> tuple[str, str]:
    """An account with a connected WhatsApp assistant, a live key, lots of credits, and a
    customer who wrote (open window). Returns (the connection's webhook path, raw key)."""
    from repdesk import vault
    from repdesk.channels.whatsapp import service as wa
    from repdesk.conversations import service as conversations
    from repdesk.developer_api import service as keys

    async with db.transaction() as s:
        a = await connected_shop(s, graph, app_secret=APP_SECRET)
        conn = await wa.get_connection(s, a.id)
        assert conn is not None
        key = await keys.create_key(s, assistant=a, name="bench", environment="live")
        await conversations.record_inbound(
            s,
            assistant=a,
            channel="whatsapp",
            type="text",
            text="hi",
            phone=CUSTOMER,
            trigger_ai=False,
        )
        assert vault
        return conn.webhook_path, key.raw


def start_server(
    url: str, data_dir: Path, graph_url: str, workers: int, servers: int = 1
) -> tuple[list[subprocess.Popen[bytes]], int]:
    """``repdesk serve --no-worker`` plus ``workers`` standalone ``repdesk worker`` processes
    (they deliver the webhooks; the sends run inline in the request)."""
    port = free_port()
    env = {
        **os.environ,
        "REPDESK_DATABASE_URL": url,
        "REPDESK_DATA_DIR": str(data_dir),
        "REPDESK_GRAPH_API_URL": graph_url,
        "REPDESK_ALLOW_PRIVATE_WEBHOOKS": "true",
        "REPDESK_API_RATE_SEND": "1000000/minute",
        "REPDESK_API_RATE_READS": "1000000/minute",
        "REPDESK_API_RATE_BURST": "1000000/second",
        "REPDESK_WORKER_CONCURRENCY": os.environ.get("BENCH_WORKER_CONCURRENCY", "16"),
        "REPDESK_LOG_LEVEL": "WARNING",
        "PYTHONPATH": str(ROOT / "src"),
    }
    cli = [sys.executable, "-m", "repdesk.cli"]
    procs = [
        subprocess.Popen(
            [
                *cli,
                "serve",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--no-migrate",
                "--no-worker",
                "--workers",
                str(servers),
            ],
            env=env,
            cwd=str(ROOT),
            stdout=subprocess.DEVNULL,
        )
    ]
    procs += [
        subprocess.Popen([*cli, "worker"], env=env, cwd=str(ROOT), stdout=subprocess.DEVNULL)
        for _ in range(workers)
    ]
    deadline = time.time() + 60
    while time.time() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                return procs, port
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    for p in procs:
        p.kill()
    raise RuntimeError("repdesk did not start")


def send_request(key: str) -> tuple[bytes, dict[str, str]]:
    """The body and headers of every benchmarked send: a text to the customer who wrote."""
    body = json.dumps(
        {"to": CUSTOMER, "type": "text", "text": {"body": "Hello from the bench 👋"}}
    ).encode()
    return body, {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}


def summary(latencies: list[float], errors: int, cpu: float) -> dict[str, Any]:
    """Requests, errors, p50/p99 latency and the server's CPU per send of one measured run."""
    return {
        "requests": len(latencies),
        "errors": errors,
        "p50_ms": round(pct(latencies, 50), 1),
        "p99_ms": round(pct(latencies, 99), 1),
        "server_cpu_ms_per_send": round(cpu / len(latencies) * 1000, 2),
    }


async def bench_sends(
    port: int, key: str, concurrency: int, total: int, server_pid: int
) -> dict[str, Any]:
    latencies: list[float] = []
    errors = 0
    body, headers = send_request(key)
    counter = iter(range(total))

    async def one_worker(client: RawClient) -> None:
        nonlocal errors
        for _ in counter:
            t0 = time.perf_counter()
            status, _ = await client.request("POST", "/v1/messages/send", body, headers)
            latencies.append((time.perf_counter() - t0) * 1000)
            if status != 200:
                errors += 1

    clients = [RawClient("127.0.0.1", port) for _ in range(concurrency)]
    try:
        for c in clients:  # warm-up: one send per connection
            await c.request("POST", "/v1/messages/send", body, headers)
        cpu0 = tree_cpu_seconds(server_pid)
        started = time.perf_counter()
        await asyncio.gather(*(one_worker(c) for c in clients))
        elapsed = time.perf_counter() - started
        cpu = tree_cpu_seconds(server_pid) - cpu0
    finally:
        for c in clients:
            await c.close()
    return {
        "concurrency": concurrency,
        "rps": round(total / elapsed, 1),
        **summary(latencies, errors, cpu),
    }


async def bench_rate(
    port: int, key: str, rate: float, seconds: float, server_pid: int, connections: int = 64
) -> dict[str, Any]:
    """Open loop: sends start at a fixed rate whatever the answers do, and each latency counts
    from the moment its send was due (a send that waited for a free connection waited for the
    server), so a server that falls behind shows it in p99 instead of lowering the rate."""
    body, headers = send_request(key)
    idle: asyncio.Queue[RawClient] = asyncio.Queue()
    clients = [RawClient("127.0.0.1", port) for _ in range(connections)]
    for c in clients:
        await c.request("POST", "/v1/messages/send", body, headers)  # warm-up
        idle.put_nowait(c)
    total = int(rate * seconds)
    latencies: list[float] = []
    errors = 0

    async def one(due: float) -> None:
        nonlocal errors
        client = await idle.get()
        try:
            status, _ = await client.request("POST", "/v1/messages/send", body, headers)
        finally:
            idle.put_nowait(client)
        latencies.append((time.perf_counter() - due) * 1000)
        if status != 200:
            errors += 1

    cpu0 = tree_cpu_seconds(server_pid)
    started = time.perf_counter()
    tasks = []
    for i in range(total):
        due = started + i / rate
        delay = due - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(one(due)))
    await asyncio.gather(*tasks)
    elapsed = time.perf_counter() - started
    cpu = tree_cpu_seconds(server_pid) - cpu0
    for c in clients:
        await c.close()
    return {
        "offered_per_second": rate,
        "completed_per_second": round(total / elapsed, 1),
        **summary(latencies, errors, cpu),
    }


def inbound_payloads(graph: Any, n: int, run: str) -> list[tuple[bytes, str]]:
    """n signed Cloud API webhooks, one customer text each (non-ASCII, emoji and numbers in it,
    which the receiver's signature check must survive), from the 1,000 quiet customers."""
    return signed_text_webhooks(
        n,
        waba=graph.business_account_id,
        phone_number_id=graph.phone_number_id,
        display_phone=graph.e164.lstrip("+"),
        app_secret=APP_SECRET,
        wamid_prefix=f"wamid.API{run}",
        contacts=1000,
        text="message {i} — ₦{price:,} 🎉",
    )


async def quiet_customers(db: Database) -> None:
    """The 1,000 customers' conversations, with the AI assistant off: this measures deliveries,
    not AI replies (``bench/ai_reply.py`` does those)."""
    from repdesk.assistants.models import Assistant
    from repdesk.contacts import service as contacts
    from repdesk.conversations import service as conversations

    async with db.transaction() as s:
        a = await s.scalar(select(Assistant).order_by(Assistant.id.desc()))
        assert a is not None
        for i in range(1000):
            contact = await contacts.upsert(s, assistant=a, phone=f"+234803{i:07d}")
            conv = await conversations.get_or_create_conversation(
                s, assistant=a, contact=contact, channel="whatsapp"
            )
            conv.automation_enabled = False


async def wait_delivered(db: Database, n: int, since: datetime, timeout: float = 600) -> float:
    """Seconds until n deliveries created after ``since`` are delivered."""
    started = time.perf_counter()
    deadline = time.time() + timeout
    while time.time() < deadline:
        async with db.session() as s:
            done = int(
                await s.scalar(
                    select(func.count())
                    .select_from(WebhookDelivery)
                    .where(
                        WebhookDelivery.status == "delivered", WebhookDelivery.created_at >= since
                    )
                )
                or 0
            )
        if done >= n:
            break
        await asyncio.sleep(0.05)
    return time.perf_counter() - started


async def delivery_latencies(
    db: Database, since: datetime, released: datetime | None = None
) -> list[float]:
    async with db.session() as s:
        rows = (
            await s.execute(
                select(WebhookDelivery.created_at, WebhookDelivery.delivered_at).where(
                    WebhookDelivery.created_at >= since
                )
            )
        ).all()
    return [(d - max(c, released or c)).total_seconds() * 1000 for c, d in rows if d is not None]


async def held_back_deliveries(db: Database, n: int) -> dict[str, Any]:
    """The delivery pipeline alone: n customer messages are recorded here (the ingest job's
    batch path) with their ``webhooks.deliver`` jobs held back, then released at once; two
    worker processes claim them, POST them signed, and record the outcomes."""
    from repdesk.assistants.models import Assistant
    from repdesk.conversations import service as conversations

    since = utcnow()
    async with db.session() as s:
        assistant = await s.scalar(select(Assistant).order_by(Assistant.id.desc()))
    assert assistant is not None
    for i in range(0, n, 200):
        async with db.transaction() as s:
            a = await s.get(Assistant, assistant.id)
            assert a is not None
            await conversations.record_inbound_many(
                s,
                assistant=a,
                channel="whatsapp",
                items=[
                    conversations.NewInbound(
                        type="text",
                        text=f"message {j} — ₦{j * 100:,} 🎉",
                        content={"body": "x"},
                        phone=f"+234803{j % 1000:07d}",
                        sent_at=None,
                        trigger_ai=False,
                        external_id=f"wamid.held{j}-{uuid.uuid4().hex[:6]}",
                    )
                    for j in range(i, min(n, i + 200))
                ],
            )
            await s.flush()
            await s.execute(
                update(Job)
                .where(Job.kind == "webhooks.deliver", Job.status == "queued")
                .values(run_at=utcnow() + timedelta(hours=1))
            )
    released = utcnow()
    async with db.transaction() as s:
        await s.execute(
            update(Job)
            .where(Job.kind == "webhooks.deliver", Job.status == "queued")
            .values(run_at=released)
        )
    elapsed = await wait_delivered(db, n, since)
    lat = await delivery_latencies(db, since, released)
    return {
        "deliveries": n,
        "delivered": len(lat),
        "per_second": round(len(lat) / elapsed, 1),
        "p50_ms": round(pct(lat, 50), 1),
        "p99_ms": round(pct(lat, 99), 1),
    }


async def end_to_end_deliveries(
    db: Database, graph: Any, port: int, webhook_path: str, n: int
) -> dict[str, Any]:
    """n customer messages through the whole path: signed Cloud API webhooks to the server
    (16 connections), the ingest job in a worker, whose transaction writes each
    ``message.received`` delivery with its job (the inline fan-out), then the workers'
    attempts."""
    since = utcnow()
    items = inbound_payloads(graph, n, uuid.uuid4().hex[:6])
    path = f"/webhooks/whatsapp_cloud/{webhook_path}"
    posted, _latencies, errors = await post_webhooks(port, path, items, 16)
    assert errors == 0, f"{errors} webhooks were not acknowledged"
    elapsed = posted + await wait_delivered(db, n, since)
    lat = await delivery_latencies(db, since)
    return {
        "deliveries": n,
        "delivered": len(lat),
        "webhooks_acked_per_second": round(n / posted, 1),
        "per_second": round(len(lat) / elapsed, 1),
        "p50_ms": round(pct(lat, 50), 1),
        "p99_ms": round(pct(lat, 99), 1),
    }


async def bench_deliveries(
    db: Database, graph: Any, port: int, key: str, webhook_path: str, n: int
) -> dict[str, Any]:
    """Both delivery measurements, against one Node receiver that verifies every signature the
    way the seed's quick start does."""
    receiver = subprocess.Popen(
        ["node", str(ROOT / "tests" / "fakes" / "webhook_receiver.js")],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert receiver.stdout is not None
        rport = json.loads(receiver.stdout.readline())["port"]
        url = f"http://127.0.0.1:{rport}/webhooks/247rep"
        r = httpx.post(
            f"http://127.0.0.1:{port}/v1/webhooks",
            headers={"Authorization": f"Bearer {key}"},
            json={"url": url, "events": ["message.received"]},
            timeout=10,
        )
        r.raise_for_status()
        httpx.post(
            f"http://127.0.0.1:{rport}/_control", json={"secret": r.json()["secret"]}, timeout=5
        )
        await quiet_customers(db)
        held = await held_back_deliveries(db, n)
        print("held back, then released:", held, flush=True)
        through = await end_to_end_deliveries(db, graph, port, webhook_path, n)
        print("through the webhook and ingest:", through, flush=True)
        received = httpx.get(f"http://127.0.0.1:{rport}/_received", timeout=30).json()
        verified = sum(1 for g in received if g["stringifyOk"] and g["rawOk"])
        return {
            "held_back": held,
            "end_to_end": through,
            "verified_by_receiver": f"{verified}/{len(received)}",
        }
    finally:
        receiver.terminate()


async def run_backend(backend: str, args: argparse.Namespace, graph: Any) -> dict[str, Any]:
    from repdesk import config, vault
    from repdesk.channels.whatsapp.config import reset_whatsapp_settings

    tmp = Path(tempfile.mkdtemp(prefix=f"bench-api-{backend}-"))
    pg_name = ""
    if backend == "postgres":
        pg_name, url = await make_pg(args.pg, "repdesk_bench_api")
    else:
        url = f"sqlite+aiosqlite:///{tmp / 'repdesk.db'}"
    await asyncio.to_thread(upgrade, url)
    os.environ["REPDESK_GRAPH_API_URL"] = graph.url
    reset_whatsapp_settings()
    settings = config.Settings(data_dir=tmp, database_url=url, allow_private_webhooks=True)
    config.use_settings(settings)
    vault.init("", tmp)
    db = Database(url)
    procs: list[subprocess.Popen[bytes]] = []
    try:
        from repdesk.app import load_modules

        load_modules()
        webhook_path, key = await seed(db, graph)
        procs, port = start_server(url, tmp, graph.url, args.workers, args.servers)
        sends = []
        for c in args.concurrency:
            sends.append(await bench_sends(port, key, c, args.sends, procs[0].pid))
            print(backend, sends[-1], flush=True)
        at_rate = []
        for rate in args.rates:
            at_rate.append(await bench_rate(port, key, rate, args.rate_seconds, procs[0].pid))
            print(backend, at_rate[-1], flush=True)
        deliveries = await bench_deliveries(db, graph, port, key, webhook_path, args.deliveries)
        print(backend, deliveries, flush=True)
        return {
            "backend": backend,
            "sends": sends,
            "sends_at_a_fixed_rate": at_rate,
            "webhooks": deliveries,
            "server_rss_mb": round(
                sum(rss_mb(p) for p in [procs[0].pid, *children(procs[0].pid)]), 1
            ),
        }
    finally:
        for p in procs:
            p.terminate()
        for p in procs:
            p.wait(timeout=20)
        await db.dispose()
        if pg_name:
            await drop_pg(args.pg, pg_name)


async def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sends", type=int, default=2000, help="sends per concurrency level")
    ap.add_argument(
        "--concurrency", type=lambda s: [int(x) for x in s.split(",")], default=[1, 4, 8, 16, 32]
    )
    ap.add_argument(
        "--rates",
        type=lambda s: [float(x) for x in s.split(",") if x],
        default=[300.0],
        help="open-loop send rates (sends/s), each held for --rate-seconds",
    )
    ap.add_argument("--rate-seconds", type=float, default=10.0)
    ap.add_argument("--deliveries", type=int, default=3000)
    ap.add_argument("--backends", default="sqlite,postgres")
    ap.add_argument("--pg", default="postgresql://postgres@127.0.0.1:5432/test")
    ap.add_argument("--workers", type=int, default=2, help="standalone worker processes")
    ap.add_argument("--servers", type=int, default=1, help="web server processes")
    args = ap.parse_args()

    results = []
    with fake_graph_process(ROOT) as graph:
        for backend in args.backends.split(","):
            results.append(await run_backend(backend, args, graph))
    print(
        json.dumps(
            {
                "machine": f"{os.cpu_count()} cpus, {platform.machine()}",
                "python": platform.python_version(),
                "results": results,
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    asyncio.run(main())
