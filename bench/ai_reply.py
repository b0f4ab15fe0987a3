"""AI reply benchmark (issue 5 part B): how fast the assistant answers.

    .venv/bin/python bench/ai_reply.py [--rounds 5] [--messages 200]

1. Built-in engine alone over the evaluation set's customer messages, demo business in
   memory: replies/s, p50/p99 per reply.
2. Built-in engine through the production data path (the demo business in SQLite, part A's
   retrieval with BM25 and, when installed, all-MiniLM-L6-v2 embeddings; index built and
   warmed first): p50/p99 per reply.
3. The whole ``ai.reply`` job on SQLite: a customer message recorded through the pipeline,
   the job run (engine, grounding check, 1-credit charge, outbound message queued):
   jobs/s, p50/p99 per job.

Reports RSS memory. Machine: 2 cores shared with other work; numbers vary with load.
"""

from __future__ import annotations

import argparse
import asyncio
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sqlalchemy import select  # noqa: E402

from repdesk import config, vault  # noqa: E402
from repdesk.app import load_modules  # noqa: E402
from repdesk.config import Settings  # noqa: E402


def rss_mb() -> float:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def pct(values: list[float], p: float) -> float:
    s = sorted(values)
    return s[min(len(s) - 1, round(p / 100 * (len(s) - 1)))]


async def bench_memory(rounds: int) -> None:
    from repdesk.ai.eval.runner import run_eval

    t0 = time.perf_counter()
    reports = [await run_eval() for _ in range(rounds)]
    wall = time.perf_counter() - t0
    replies = sum(r.replies for r in reports)
    turns = sum(r.replies for r in reports)
    print(
        f"[engine, in memory] {rounds} passes over the eval set, {replies} replies in {wall:.2f} s"
        f" ({turns / wall:.0f} replies/s incl. grounding checks); "
        f"p50 {statistics.median([r.p50_ms for r in reports]):.2f} ms, "
        f"p99 {max(r.p99_ms for r in reports):.2f} ms; RSS {rss_mb():.0f} MB"
    )


async def bench_db() -> None:
    from repdesk.ai.eval.runner import run_eval_db

    t0 = time.perf_counter()
    report = await run_eval_db()
    wall = time.perf_counter() - t0
    from repdesk.knowledge import retrieval

    mode = "BM25 + embeddings" if retrieval.embeddings_enabled() else "BM25 only"
    print(
        f"[engine, database + knowledge services, {mode}] {report.replies} replies "
        f"(setup incl.) in {wall:.1f} s; p50 {report.p50_ms:.2f} ms, p99 {report.p99_ms:.2f} ms; "
        f"accuracy {report.answer_accuracy:.1%}; RSS {rss_mb():.0f} MB"
    )


async def bench_jobs(n: int) -> None:
    from repdesk.accounts import service as accounts
    from repdesk.ai.demo import demo_data, load_demo
    from repdesk.ai.eval.runner import load_set
    from repdesk.billing import service as billing
    from repdesk.conversations import service as conversations
    from repdesk.db.engine import Database
    from repdesk.db.migrate import upgrade_async
    from repdesk.jobs.models import Job
    from repdesk.jobs.worker import Worker

    questions = [c["turns"][0] for c in load_set()["cases"] if len(c["turns"]) == 1]
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite+aiosqlite:///{tmp}/bench.db"
        config.use_settings(Settings(data_dir=Path(tmp), database_url=url, secret_key=""))
        vault.init("", Path(tmp))
        await upgrade_async(url)
        db = Database(url)
        async with db.transaction() as s:
            _u, ws = await accounts.register(
                s,
                email="bench@x.io",
                password="bench password 1",
                business_name="b",
                verified=True,
                send_email=False,
            )
            await billing.credit(
                s,
                workspace_id=ws.id,
                credits=100000,
                kind="grant",
                reason="bench",
                reference="bench",
            )
            assistant = await load_demo(s, workspace_id=ws.id)
        worker = Worker(db, concurrency=1)
        await worker.drain()  # knowledge.reindex
        lat: list[float] = []
        t0 = time.perf_counter()
        for i in range(n):
            async with db.transaction() as s:
                from repdesk.assistants.models import Assistant

                a = await s.get(Assistant, assistant.id)
                assert a is not None
                await conversations.record_inbound(
                    s,
                    assistant=a,
                    channel="widget",
                    type="text",
                    text=questions[i % len(questions)],
                    external_id=f"b{i}",
                    visitor_id=f"v{i}",  # each its own conversation (handoffs stop automation)
                )
            async with db.session() as s:
                job = await s.scalar(
                    select(Job).where(Job.kind == "ai.reply", Job.status == "queued")
                )
            assert job is not None
            j0 = time.perf_counter()
            await worker.run_now(job.id)
            lat.append((time.perf_counter() - j0) * 1000)
        wall = time.perf_counter() - t0
        await db.dispose()
    print(
        f"[ai.reply job, SQLite] {n} customer messages: {n / wall:.1f} messages/s end to end "
        f"(record + job); job p50 {pct(lat, 50):.1f} ms, p99 {pct(lat, 99):.1f} ms; "
        f"RSS {rss_mb():.0f} MB; demo business: {len(demo_data()['products'])} products"
    )


async def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--messages", type=int, default=200)
    args = ap.parse_args()
    load_modules()
    with tempfile.TemporaryDirectory() as tmp:
        config.use_settings(Settings(data_dir=Path(tmp), secret_key=""))
        vault.init("", Path(tmp))
        await bench_memory(args.rounds)
        await bench_db()
    await bench_jobs(args.messages)
    print(f"peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")


if __name__ == "__main__":
    asyncio.run(main())
