"""Job queue benchmark: trivial jobs claimed and completed per second, and enqueue-to-done
latency, with 1 and 4 worker processes on PostgreSQL and the in-process worker on SQLite.

    .venv/bin/python bench/jobs.py [--jobs 20000] [--pg postgresql://postgres@127.0.0.1:5432/test]

Throughput: the workers start and warm up, then N jobs are inserted and drained; jobs/s = N /
(insert + drain time).
Latency: jobs are enqueued one per transaction at a steady rate while the workers run; each job
records now - enqueue time. Memory: the workers' resident set size at the end.
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
from pathlib import Path
from typing import Any

from sqlalchemy import func, insert, select

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("REPDESK_EXTRA_MODULES", "bench.bench_tasks")

from bench.bench_tasks import BenchNoop  # noqa: E402
from bench.common import drop_pg, make_pg, pct, rss_mb  # noqa: E402
from repdesk.db.engine import Database  # noqa: E402
from repdesk.db.migrate import upgrade  # noqa: E402
from repdesk.jobs.models import Job, JobStatus  # noqa: E402
from repdesk.jobs.service import enqueue  # noqa: E402
from repdesk.jobs.worker import Worker  # noqa: E402
from repdesk.kit.ids import new_id  # noqa: E402
from repdesk.kit.time import utcnow  # noqa: E402


async def bulk_enqueue(db: Database, n: int) -> None:
    now = utcnow()
    rows = [
        {
            "id": new_id(),
            "kind": "bench.noop",
            "payload": {},
            "status": JobStatus.QUEUED.value,
            "run_at": now,
            "attempts": 0,
            "max_attempts": 3,
            "created_at": now,
        }
        for _ in range(n)
    ]
    async with db.session() as s:
        for i in range(0, n, 2000):
            await s.execute(insert(Job), rows[i : i + 2000])
        await s.commit()


async def remaining(db: Database) -> int:
    async with db.session() as s:
        n = int(await s.scalar(select(func.count()).select_from(Job)) or 0)
        await s.commit()
        return n


def spawn(
    url: str, data_dir: str, latency_log: str, concurrency: int = 8
) -> subprocess.Popen[bytes]:
    env = dict(os.environ)
    env.update(
        REPDESK_DATABASE_URL=url,
        REPDESK_DATA_DIR=data_dir,
        REPDESK_LOG_LEVEL="WARNING",
        REPDESK_BENCH_LATENCY_LOG=latency_log,
        PYTHONPATH=f"{ROOT / 'src'}{os.pathsep}{ROOT}",
        REPDESK_JOB_POLL_INTERVAL="0.05",
    )
    return subprocess.Popen(
        [sys.executable, "-m", "repdesk.cli", "worker", "--concurrency", str(concurrency)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


async def steady_latency(db: Database, n: int, rate: float) -> None:
    interval = 1.0 / rate
    start = time.perf_counter()
    for i in range(n):
        async with db.transaction() as s:
            await enqueue(s, BenchNoop(t=time.time()))
        delay = start + (i + 1) * interval - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)


async def run_processes(
    url: str, workers: int, jobs: int, latency_jobs: int, rate: float
) -> dict[str, Any]:
    db = Database(url, pool_size=4)
    data_dir = tempfile.mkdtemp()
    log = Path(tempfile.mkdtemp()) / "latency.log"
    procs = [spawn(url, data_dir, str(log)) for _ in range(workers)]
    # Warm up: every worker process started and connected before the clock starts.
    await bulk_enqueue(db, 50 * workers)
    while await remaining(db):
        await asyncio.sleep(0.05)
    t0 = time.perf_counter()
    await bulk_enqueue(db, jobs)
    while await remaining(db):
        await asyncio.sleep(0.05)
    elapsed = time.perf_counter() - t0
    await steady_latency(db, latency_jobs, rate)
    while await remaining(db):
        await asyncio.sleep(0.05)
    mem = [rss_mb(p.pid) for p in procs]
    for p in procs:
        p.terminate()
    for p in procs:
        p.wait(10)
    lat = [float(x) * 1000 for x in log.read_text().split()] if log.exists() else []
    await db.dispose()
    return {
        "workers": workers,
        "jobs": jobs,
        "seconds": round(elapsed, 2),
        "jobs_per_s": round(jobs / elapsed),
        "latency_p50_ms": round(pct(lat, 50), 1),
        "latency_p99_ms": round(pct(lat, 99), 1),
        "worker_rss_mb": round(max(mem), 1),
    }


async def run_inprocess_sqlite(jobs: int, latency_jobs: int, rate: float) -> dict[str, Any]:
    import resource

    import bench.bench_tasks  # noqa: F401

    folder = tempfile.mkdtemp()
    url = f"sqlite+aiosqlite:///{folder}/bench.db"
    upgrade(url)
    db = Database(url)
    log = Path(folder) / "latency.log"
    os.environ["REPDESK_BENCH_LATENCY_LOG"] = str(log)
    bench.bench_tasks._LOG = str(log)
    await bulk_enqueue(db, jobs)
    worker = Worker(db, concurrency=8, poll_interval=0.05)
    t0 = time.perf_counter()
    runner = asyncio.create_task(worker.run_forever())
    while await remaining(db):
        await asyncio.sleep(0.05)
    elapsed = time.perf_counter() - t0
    await steady_latency(db, latency_jobs, rate)
    while await remaining(db):
        await asyncio.sleep(0.05)
    worker.stop()
    await runner
    lat = [float(x) * 1000 for x in log.read_text().split()] if log.exists() else []
    await db.dispose()
    return {
        "workers": "in-process",
        "jobs": jobs,
        "seconds": round(elapsed, 2),
        "jobs_per_s": round(jobs / elapsed),
        "latency_p50_ms": round(pct(lat, 50), 1),
        "latency_p99_ms": round(pct(lat, 99), 1),
        "process_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    }


async def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--jobs", type=int, default=20000)
    ap.add_argument("--latency-jobs", type=int, default=1000)
    ap.add_argument(
        "--rate", type=float, default=200.0, help="jobs/s enqueued in the latency phase"
    )
    ap.add_argument("--pg", default="postgresql://postgres@127.0.0.1:5432/test")
    args = ap.parse_args()

    results: list[dict[str, Any]] = []
    name, pg_url = await make_pg(args.pg, "repdesk_bench_jobs")
    try:
        upgrade(pg_url)
        for workers in (1, 4):
            r = await run_processes(pg_url, workers, args.jobs, args.latency_jobs, args.rate)
            r["db"] = "postgresql"
            results.append(r)
            print(json.dumps(r), flush=True)
    finally:
        await drop_pg(args.pg, name)
    r = await run_inprocess_sqlite(args.jobs, args.latency_jobs, args.rate)
    r["db"] = "sqlite"
    results.append(r)
    print(json.dumps(r), flush=True)

    print(
        f"\nmachine: {platform.machine()}, {os.cpu_count()} cores, python {platform.python_version()}"
    )
    print("| database | workers | jobs | jobs/s | enqueue→done p50 ms | p99 ms | RSS MB |")
    print("|---|---|---|---|---|---|---|")
    for r in results:
        mem = r.get("worker_rss_mb", r.get("process_rss_mb"))
        print(
            f"| {r['db']} | {r['workers']} | {r['jobs']} | {r['jobs_per_s']} | {r['latency_p50_ms']} | {r['latency_p99_ms']} | {mem} |"
        )
    if len(results) >= 2 and results[0]["jobs_per_s"]:
        print(
            f"\n4 workers / 1 worker on PostgreSQL: {results[1]['jobs_per_s'] / results[0]['jobs_per_s']:.2f}x"
        )


if __name__ == "__main__":
    asyncio.run(main())
