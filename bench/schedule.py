"""Scheduled-messages benchmark: N messages due in the same minute, sent through the one send
path by standalone workers against the fake Graph API.

    .venv/bin/python bench/schedule.py [--messages 10000] [--spread 0] [--lead 90]
        [--workers 2] [--concurrency 16] [--backends postgres,sqlite]

A WhatsApp assistant is connected to the fake Graph API (its own process; templates synced),
``--workers`` ``repdesk worker`` processes start, and N messages are scheduled through
``campaigns.scheduled.service.create`` (500 per transaction) for N different numbers: the
``welcome_back`` template with the contact's name as ``{{1}}`` (each send opens a conversation,
so it writes a contact, a conversation, a charge and a message), all due at T = the first whole
minute at least ``--lead`` seconds away (``--spread`` seconds: spread evenly after T instead).
Reported: seconds from T until every message reached the Graph API (the target: 120), sends/s
over that time, the lateness (handled_at - send_at of the schedule job, and the message's
sent_at - send_at) p50/p99/max, how many were marked late, duplicate messages, and the
workers' peak resident set size.
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
from collections import Counter
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "src"))  # this checkout's repdesk, whatever the venv installed

from bench.common import (  # noqa: E402
    connected_shop,
    drop_pg,
    fake_graph_process,
    make_pg,
    pct,
    peak_rss_mb,
)
from repdesk.campaigns.scheduled.config import get_schedule_settings  # noqa: E402
from repdesk.campaigns.scheduled.models import ScheduledMessage  # noqa: E402
from repdesk.conversations.models import Message  # noqa: E402
from repdesk.db.engine import Database  # noqa: E402
from repdesk.db.migrate import upgrade  # noqa: E402
from repdesk.kit.time import utcnow  # noqa: E402

BATCH = 500
CONTENT = {
    "type": "template",
    "template": {
        "name": "welcome_back",
        "language": "en_US",
        "variables": {"1": {"field": "name", "fallback": "there"}},
    },
}


async def seed(db: Database, graph: Any) -> str:
    async with db.transaction() as s:
        assistant = await connected_shop(s, graph, app_secret="bench-app-secret")
        return str(assistant.id)


async def templates_synced(db: Database, assistant_id: str) -> None:
    from repdesk.channels.whatsapp.models import WhatsAppTemplate

    for _ in range(600):
        async with db.session() as s:
            n = await s.scalar(
                select(func.count())
                .select_from(WhatsAppTemplate)
                .where(WhatsAppTemplate.assistant_id == assistant_id)
            )
        if n:
            return
        await asyncio.sleep(0.1)
    raise RuntimeError("the workers did not sync the templates")


async def schedule_all(
    db: Database, assistant_id: str, n: int, due: datetime, spread: float
) -> float:
    from repdesk.assistants.models import Assistant
    from repdesk.campaigns.scheduled import service
    from repdesk.campaigns.scheduled.schemas import ScheduleTo
    from repdesk.conversations.content import MessageContent

    content = MessageContent.model_validate(CONTENT)
    started = time.perf_counter()
    for first in range(0, n, BATCH):
        async with db.transaction() as s:
            a = await s.get(Assistant, assistant_id)
            assert a is not None
            for i in range(first, min(n, first + BATCH)):
                offset = spread * i / n if spread else 0.0
                await service.create(
                    s,
                    assistant=a,
                    to=ScheduleTo(phone=f"+23480{40000000 + i:08d}"),
                    content=content,
                    send_at=due + timedelta(seconds=offset),
                    time_zone="Africa/Lagos",
                )
    return time.perf_counter() - started


def start_workers(
    url: str, data_dir: Path, graph_url: str, workers: int, concurrency: int
) -> list[subprocess.Popen[bytes]]:
    env = {
        **os.environ,
        "REPDESK_DATABASE_URL": url,
        "REPDESK_DATA_DIR": str(data_dir),
        "REPDESK_GRAPH_API_URL": graph_url,
        "REPDESK_LOG_LEVEL": "WARNING",
        "PYTHONPATH": str(ROOT / "src"),
    }
    cli = [sys.executable, "-m", "repdesk.cli", "worker", "--concurrency", str(concurrency)]
    return [
        subprocess.Popen(cli, env=env, cwd=str(ROOT), stdout=subprocess.DEVNULL)
        for _ in range(workers)
    ]


async def watch(db: Database, n: int, due: datetime, timeout: float) -> float | None:
    """Seconds from ``due`` until all ``n`` messages are sent (None: not within ``timeout``)."""
    deadline = due + timedelta(seconds=timeout)
    while utcnow() < deadline:
        async with db.session() as s:
            sent = await s.scalar(
                select(func.count()).select_from(Message).where(Message.status == "sent")
            )
        if sent is not None and sent >= n:
            return (utcnow() - due).total_seconds()
        await asyncio.sleep(0.25)
    return None


async def lateness(db: Database) -> dict[str, Any]:
    async with db.session() as s:
        rows = (
            await s.execute(
                select(
                    ScheduledMessage.send_at,
                    ScheduledMessage.handled_at,
                    ScheduledMessage.state,
                    ScheduledMessage.late,
                    Message.sent_at,
                ).outerjoin(Message, Message.id == ScheduledMessage.message_id)
            )
        ).all()
    handled = [(h - d).total_seconds() for d, h, _st, _l, _m in rows if h is not None]
    reached = [(m - d).total_seconds() for d, _h, _st, _l, m in rows if m is not None]
    states = Counter(str(st) for _d, _h, st, _l, _m in rows)

    def stats(values: list[float]) -> dict[str, float]:
        return {
            "p50_s": round(pct(values, 50), 2),
            "p99_s": round(pct(values, 99), 2),
            "max_s": round(max(values), 2) if values else float("nan"),
        }

    return {
        "states": dict(states),
        "marked_late": sum(1 for *_x, late, _m in rows if late),
        "job_lateness": stats(handled),
        "graph_lateness": stats(reached),
    }


async def run_backend(backend: str, args: argparse.Namespace, graph: Any) -> dict[str, Any]:
    from repdesk import config, vault
    from repdesk.app import load_modules
    from repdesk.channels.whatsapp.config import reset_whatsapp_settings

    tmp = Path(tempfile.mkdtemp(prefix=f"bench-schedule-{backend}-"))
    pg_name = ""
    if backend == "postgres":
        pg_name, url = await make_pg(args.pg, "repdesk_bench_schedule")
    else:
        url = f"sqlite+aiosqlite:///{tmp / 'repdesk.db'}"
    await asyncio.to_thread(upgrade, url)
    os.environ["REPDESK_GRAPH_API_URL"] = graph.url
    reset_whatsapp_settings()
    config.use_settings(config.Settings(data_dir=tmp, database_url=url))
    vault.init("", tmp)
    load_modules()
    db = Database(url)
    procs: list[subprocess.Popen[bytes]] = []
    try:
        assistant_id = await seed(db, graph)
        procs = start_workers(url, tmp, graph.url, args.workers, args.concurrency)
        await templates_synced(db, assistant_id)
        now = utcnow()
        due = (now + timedelta(seconds=args.lead + 59)).replace(second=0, microsecond=0)
        seeded = await schedule_all(db, assistant_id, args.messages, due, args.spread)
        if utcnow() >= due:
            raise RuntimeError(f"scheduling took {seeded:.0f} s, past the due time: raise --lead")
        print(
            backend, f"scheduled {args.messages} in {seeded:.1f} s; due {due:%H:%M:%S}", flush=True
        )
        done = await watch(db, args.messages, due, timeout=args.spread + args.timeout)
        peaks = [round(peak_rss_mb(p.pid), 1) for p in procs]
        late = await lateness(db)
        async with db.session() as s:
            stored = await s.scalar(
                select(func.count()).select_from(Message).where(Message.direction == "out")
            )
            keys = await s.scalar(
                select(func.count(func.distinct(Message.idempotency_key))).where(
                    Message.direction == "out"
                )
            )
        result = {
            "backend": backend,
            "messages": args.messages,
            "spread_s": args.spread,
            "workers": args.workers,
            "batch_size": get_schedule_settings().schedule_batch_size,
            "batch_seconds": get_schedule_settings().schedule_batch_seconds,
            "worker_concurrency": args.concurrency,
            "scheduling_s": round(seeded, 1),
            "all_sent_after_s": round(done, 1) if done is not None else None,
            "sends_per_s": round(args.messages / done, 1) if done else None,
            "within_2_minutes": done is not None and done <= 120 + args.spread,
            "messages_stored": stored,
            "duplicate_messages": (stored or 0) - (keys or 0),
            **late,
            "worker_peak_rss_mb": peaks,
        }
        print(backend, result, flush=True)
        return result
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
    ap.add_argument("--messages", type=int, default=10000)
    ap.add_argument("--spread", type=float, default=0.0, help="seconds to spread the due times")
    ap.add_argument("--lead", type=float, default=90.0, help="seconds to schedule them in")
    ap.add_argument("--timeout", type=float, default=300.0, help="seconds to wait after T")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--concurrency", type=int, default=16)
    ap.add_argument("--backends", default="postgres")
    ap.add_argument("--pg", default="postgresql://postgres@127.0.0.1:5432/test")
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
                "date": f"{utcnow():%Y-%m-%d %H:%M} UTC",
                "results": results,
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    asyncio.run(main())
