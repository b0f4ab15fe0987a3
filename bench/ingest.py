"""WhatsApp webhook ingest benchmark: signed Meta webhooks posted concurrently to a running
repdesk, then the same payloads again as redeliveries.

    .venv/bin/python bench/ingest.py [--messages 20000] [--contacts 2000] [--concurrency 32]
        [--backend sqlite|postgres|both] [--pg postgresql://postgres@127.0.0.1:5432/test]
        [--worker]

For each backend: a fresh database is migrated, a workspace with one connected WhatsApp number
is created, and ``repdesk serve`` (one uvicorn process; ``--no-worker`` unless ``--worker``)
is started as a subprocess. The client posts one real-format, correctly signed webhook per
message (N messages from C contacts), measuring each acknowledgement (HTTP 200), then posts
every payload again. Reported: acknowledged messages/s, p50/p99 acknowledgement latency per
phase, the server's CPU time per message, its peak RSS, and the number of messages stored at the end (which must equal
N: none lost, none doubled).
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
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import create_async_engine

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT))

from bench.common import (  # noqa: E402
    RawClient,
    cpu_seconds,
    drop_pg,
    free_port,
    make_pg,
    pct,
    peak_rss_mb,
    post_webhooks,
    signed_text_webhooks,
)
from repdesk import config, vault  # noqa: E402
from repdesk.accounts import service as accounts  # noqa: E402
from repdesk.assistants import service as assistants  # noqa: E402
from repdesk.channels.whatsapp import service as wa  # noqa: E402
from repdesk.channels.whatsapp.client import PhoneNumberInfo  # noqa: E402
from repdesk.config import Settings  # noqa: E402
from repdesk.conversations.models import Message  # noqa: E402
from repdesk.db.engine import Database  # noqa: E402
from repdesk.db.migrate import upgrade  # noqa: E402

APP_SECRET = "bench-app-secret"
PNID = "106540352242922"
WABA = "102290129340398"


def payloads(n: int, contacts: int, run: str) -> list[tuple[bytes, str]]:
    return signed_text_webhooks(
        n,
        waba=WABA,
        phone_number_id=PNID,
        display_phone="15550783881",
        app_secret=APP_SECRET,
        wamid_prefix=f"wamid.BENCH{run}",
        contacts=contacts,
    )


async def prepare(url: str, data_dir: Path) -> str:
    settings = Settings(data_dir=data_dir, database_url=url, public_url="http://127.0.0.1")
    config.use_settings(settings)
    vault.init("", data_dir)
    db = Database(settings.resolved_database_url)
    try:
        async with db.transaction() as session:
            _, ws = await accounts.register(
                session,
                email="bench@shop.test",
                password="bench password 1",
                business_name="Bench",
                verified=True,
                send_email=False,
            )
            assistant = await assistants.create(
                session, workspace_id=ws.id, name="Bench", platform="whatsapp"
            )
            conn = await wa._save_connection(  # noqa: SLF001  (no Graph call: the number is given)
                session,
                assistant,
                mode="byok",
                token="EAAG-bench",
                phone_number_id=PNID,
                business_account_id=WABA,
                phone_number="+15550783881",
                app_secret_=APP_SECRET,
                info=PhoneNumberInfo(id=PNID, verified_name="Bench"),
            )
            return conn.webhook_path
    finally:
        await db.dispose()


async def wait_stored(url: str, expected: int, *, timeout: float) -> None:
    """Wait until ``expected`` messages are stored (the ingest jobs have caught up)."""
    deadline = time.perf_counter() + timeout
    engine = create_async_engine(url)
    try:
        while True:
            async with engine.connect() as conn:
                stored = (
                    await conn.execute(
                        select(func.count()).select_from(Message).where(Message.direction == "in")
                    )
                ).scalar_one()
            if stored >= expected:
                return
            if time.perf_counter() > deadline:
                raise TimeoutError(f"{stored} of {expected} messages stored after {timeout} s")
            await asyncio.sleep(0.05)
    finally:
        await engine.dispose()


async def count_messages(url: str) -> int:
    engine = create_async_engine(url)
    try:
        async with engine.connect() as conn:
            return int(
                (
                    await conn.execute(
                        select(func.count()).select_from(Message).where(Message.direction == "in")
                    )
                ).scalar_one()
            )
    finally:
        await engine.dispose()


async def run_backend(backend: str, args: argparse.Namespace) -> dict[str, Any]:
    tmp = Path(tempfile.mkdtemp(prefix=f"ingest-{backend}-"))
    data_dir = tmp / "data"
    data_dir.mkdir()
    pg_name = None
    if backend == "postgres":
        pg_name, url = await make_pg(args.pg, "repdesk_bench_ingest")
    else:
        url = f"sqlite+aiosqlite:///{tmp / 'repdesk.db'}"
    await asyncio.to_thread(upgrade, url)
    path = "/webhooks/whatsapp_cloud/" + await prepare(url, data_dir)
    port = free_port()
    env = dict(
        os.environ,
        REPDESK_DATABASE_URL=url,
        REPDESK_DATA_DIR=str(data_dir),
        REPDESK_LOG_LEVEL="WARNING",
        REPDESK_LOG_FORMAT="text",
        PYTHONPATH=str(ROOT / "src"),
    )
    cmd = [
        sys.executable,
        "-m",
        "repdesk.cli",
        "serve",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--no-migrate",
        "--no-worker",
    ]
    if args.servers > 1:
        cmd += ["--workers", str(args.servers)]
    server = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    # The ingest jobs (and what they enqueue: AI replies, events) run in separate worker
    # processes, as in a scaled deployment.
    workers = [
        subprocess.Popen(
            [sys.executable, "-m", "repdesk.cli", "worker"],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        for _ in range(args.workers)
    ]
    result: dict[str, Any] = {"backend": backend, "servers": args.servers, "workers": args.workers}
    try:
        probe = RawClient("127.0.0.1", port)
        for _ in range(200):
            try:
                if (await probe.request("GET", "/healthz"))[0] == 200:
                    break
            except OSError:
                await probe.close()
            await asyncio.sleep(0.1)
        await probe.close()
        items = payloads(args.messages, args.contacts, uuid.uuid4().hex[:6].upper())
        # Warm-up (not counted): a few distinct messages from an extra contact.
        warm = payloads(50, 1, "WARM")
        await post_webhooks(port, path, warm, 4)
        await wait_stored(url, len(warm), timeout=120)
        for phase in ("first delivery", "redelivery"):
            cpu0 = cpu_seconds(server.pid)
            t0 = time.perf_counter()
            seconds, lat, errors = await post_webhooks(port, path, items, args.concurrency)
            cpu = cpu_seconds(server.pid) - cpu0
            # Processed: every message is conversation state (stored, counted, jobs queued).
            await wait_stored(url, len(warm) + args.messages, timeout=600)
            processed = time.perf_counter() - t0
            result[phase] = {
                # Server CPU per message: less sensitive than wall-clock rates to other
                # processes competing for the cores.
                "server_cpu_ms_per_message": round(cpu / len(items) * 1000, 2),
                "messages": len(items),
                "seconds": round(seconds, 2),
                "acked_per_second": round(len(items) / seconds, 1),
                "p50_ms": round(pct(lat, 50) * 1000, 1),
                "p99_ms": round(pct(lat, 99) * 1000, 1),
                "errors": errors,
                "processed_per_second": round(len(items) / processed, 1),
            }
            print(backend, phase, result[phase], flush=True)
        result["server_peak_rss_mb"] = round(peak_rss_mb(server.pid), 1)
        stored = await count_messages(url)
        result["stored"] = stored - len(warm)
        result["expected"] = args.messages
        result["lost_or_doubled"] = result["stored"] != args.messages
    finally:
        for proc in (server, *workers):
            proc.terminate()
        for proc in (server, *workers):
            try:
                proc.wait(15)
            except subprocess.TimeoutExpired:
                proc.kill()
        if pg_name:
            await drop_pg(args.pg, pg_name)
    return result


async def main() -> None:
    p = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument("--messages", type=int, default=20000)
    p.add_argument("--contacts", type=int, default=2000)
    p.add_argument("--concurrency", type=int, default=32)
    p.add_argument("--backend", choices=["sqlite", "postgres", "both"], default="both")
    p.add_argument(
        "--pg",
        default=os.environ.get("REPDESK_TEST_PG", "postgresql://postgres@127.0.0.1:5432/test"),
    )
    p.add_argument("--servers", type=int, default=1, help="web server processes")
    p.add_argument("--workers", type=int, default=1, help="standalone worker processes")
    args = p.parse_args()
    backends = ["sqlite", "postgres"] if args.backend == "both" else [args.backend]
    results = {
        "machine": f"{os.cpu_count()} cores, {platform.machine()}",
        "python": platform.python_version(),
        "contacts": args.contacts,
        "concurrency": args.concurrency,
        "runs": [await run_backend(b, args) for b in backends],
    }
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    asyncio.run(main())
