from __future__ import annotations

import asyncio
import signal
import subprocess
import time
from collections import Counter
from pathlib import Path

import pytest
from sqlalchemy import func, select

from repdesk.db.engine import Database
from repdesk.jobs.models import Job, JobStatus
from repdesk.jobs.registry import periodic
from repdesk.jobs.service import enqueue
from repdesk.jobs.worker import Worker
from tests import workers
from tests.jobs.sample_tasks import AlwaysFails, Noop, Record  # (registers the test kinds)
from tests.workers import wait_until


def lines(path: Path) -> list[str]:
    return path.read_text().splitlines() if path.exists() else []


async def count_jobs(db: Database, **where: str) -> int:
    async with db.session() as s:
        stmt = select(func.count()).select_from(Job)
        for k, v in where.items():
            stmt = stmt.where(getattr(Job, k) == v)
        return int(await s.scalar(stmt) or 0)


async def test_job_exists_only_if_its_transaction_commits(
    db: Database, worker: Worker, tmp_path: Path
) -> None:
    log = tmp_path / "log"
    with pytest.raises(RuntimeError):
        async with db.transaction() as s:
            await enqueue(s, Record(log=str(log), n=1))
            raise RuntimeError("the cause failed")
    assert await count_jobs(db) == 0
    async with db.transaction() as s:
        await enqueue(s, Record(log=str(log), n=2))
    assert await worker.drain() == 1
    assert lines(log)[-1].startswith("done 2")
    assert await count_jobs(db) == 0  # completed jobs are removed with their handler's commit


async def test_retries_stop_at_the_limit_and_keep_the_last_error(
    db: Database, worker: Worker
) -> None:
    async with db.transaction() as s:
        await enqueue(s, AlwaysFails(n=7))
    for _ in range(50):
        await worker.run_once()
        if await count_jobs(db, status=JobStatus.FAILED):
            break
        await asyncio.sleep(0.03)
    async with db.session() as s:
        job = await s.scalar(select(Job).where(Job.kind == "test.always_fails"))
    assert job is not None
    assert job.status == JobStatus.FAILED
    assert job.attempts == 3
    assert "boom #7" in (job.last_error or "")
    # A failed job is not picked up again.
    assert await worker.run_once() == 0


async def test_delayed_job_waits_for_its_time(db: Database, worker: Worker, tmp_path: Path) -> None:
    log = tmp_path / "log"
    async with db.transaction() as s:
        await enqueue(s, Record(log=str(log), n=1), delay=0.4)
    assert await worker.run_once() == 0
    await asyncio.sleep(0.5)
    assert await worker.run_once() == 1
    assert lines(log)[-1].startswith("done 1")


async def test_dedupe_key_enqueues_once(db: Database) -> None:
    async with db.transaction() as s:
        first = await enqueue(s, Noop(), dedupe_key="once")
        second = await enqueue(s, Noop(), dedupe_key="once")
    assert first is not None and second is None
    assert await count_jobs(db) == 1


async def test_periodic_jobs_are_scheduled_once_per_period(db: Database, worker: Worker) -> None:
    periodic(Noop, every_seconds=3600)
    try:
        await worker.schedule_periodic()
        await Worker(db).schedule_periodic()  # a second worker in the same period adds nothing
        assert await count_jobs(db, kind="test.noop") == 1
    finally:
        from repdesk.jobs.registry import PERIODIC

        PERIODIC.pop("test.noop", None)


async def test_expired_lease_is_claimed_again(db: Database, tmp_path: Path) -> None:
    log = tmp_path / "log"
    async with db.transaction() as s:
        await enqueue(s, Record(log=str(log), n=1))
    crashed = Worker(db, lease_seconds=1, name="crashed")
    claimed = await crashed.claim(10)  # claims, then "dies" without running it
    assert len(claimed) == 1
    other = Worker(db, name="other")
    assert await other.run_once() == 0  # still leased
    await asyncio.sleep(1.2)
    assert await other.run_once() == 1
    assert [ln.split()[0] for ln in lines(log)] == ["start", "done"]
    # The crashed worker coming back cannot complete a job it no longer holds.
    assert await crashed.run_job(claimed[0]) is False
    assert await count_jobs(db) == 0


def spawn_worker(
    database_url: str, data_dir: Path, lease: int = 2, poll: float = 0.05
) -> subprocess.Popen[bytes]:
    return workers.spawn_worker(
        database_url, data_dir, lease=lease, poll=poll, extra_modules="tests.jobs.sample_tasks"
    )


async def test_killed_worker_job_is_rerun_exactly_once(
    db: Database, database_url: str, data_dir: Path, tmp_path: Path
) -> None:
    log = tmp_path / "log"
    async with db.transaction() as s:
        await enqueue(s, Record(log=str(log), n=1, sleep=30))
    victim = spawn_worker(database_url, data_dir, lease=2)
    try:

        async def started() -> bool:
            return any(ln.startswith("start 1") for ln in lines(log))

        await wait_until(started, timeout=90)
        victim.send_signal(signal.SIGKILL)
        victim.wait(10)
    finally:
        if victim.poll() is None:
            victim.kill()
    # Shorten the job so the rescuer finishes fast; the payload is the job's, so edit it. (The
    # worker has also scheduled its periodic jobs: pick this one by its kind.)
    async with db.transaction() as s:
        job = await s.scalar(select(Job).where(Job.kind == "test.record"))
        assert job is not None and job.status == JobStatus.RUNNING, (job and job.status, lines(log))
        job.payload = {**job.payload, "sleep": 0}
    rescuer = spawn_worker(database_url, data_dir, lease=2)
    try:

        async def finished() -> bool:
            return await count_jobs(db, kind="test.record") == 0

        await wait_until(finished, timeout=90)
    finally:
        rescuer.terminate()
        rescuer.wait(10)
    events = Counter(ln.split()[0] for ln in lines(log))
    assert events == {"start": 2, "done": 1}, (
        lines(log),
        rescuer.stderr.read() if rescuer.stderr else b"",
    )


@pytest.mark.postgres_only
async def test_several_worker_processes_run_each_job_exactly_once(
    db: Database, database_url: str, data_dir: Path, tmp_path: Path
) -> None:
    assert not db.is_sqlite
    log = tmp_path / "log"
    async with db.transaction() as s:
        for n in range(300):
            await enqueue(s, Record(log=str(log), n=n, sleep=0.01))
    workers = [spawn_worker(database_url, data_dir, lease=30) for _ in range(3)]
    try:

        async def finished() -> bool:
            return await count_jobs(db, kind="test.record") == 0

        await wait_until(finished, timeout=60)
    finally:
        for w in workers:
            w.terminate()
        for w in workers:
            w.wait(10)
    done = [ln.split() for ln in lines(log) if ln.startswith("done")]
    per_job = Counter(parts[1] for parts in done)
    assert len(per_job) == 300 and set(per_job.values()) == {1}
    pids = {parts[2] for parts in done}
    assert len(pids) >= 2, "work was not shared between the worker processes"


@pytest.mark.postgres_only
async def test_a_standalone_worker_is_woken_by_a_commit_in_another_process(
    db: Database, database_url: str, data_dir: Path, tmp_path: Path
) -> None:
    """It polls every 60 s here; a job enqueued by this process (another process for it) still
    runs within moments, because the commit notifies the channel the worker listens on."""
    log = tmp_path / "log"
    worker = spawn_worker(database_url, data_dir, poll=60)
    try:
        # Its first claim (at start) finds nothing; from then on only a wake can start a job.
        async with db.transaction() as s:
            await enqueue(s, Record(log=str(log), n=0))

        async def ran(n: int) -> bool:
            return any(ln.startswith(f"done {n}") for ln in lines(log))

        await wait_until(lambda: ran(0), timeout=30)  # up and listening
        assert worker.poll() is None
        for n in (1, 2, 3):
            started = time.monotonic()
            async with db.transaction() as s:
                await enqueue(s, Record(log=str(log), n=n))
            await wait_until(lambda n=n: ran(n), timeout=30)
            assert time.monotonic() - started < 5, n
    finally:
        worker.terminate()
        worker.wait(10)
        print(worker.stderr.read().decode()[-3000:] if worker.stderr else "")


async def test_in_process_worker_runs_jobs_while_serving(
    settings, db: Database, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    from repdesk.app import create_app

    log = tmp_path / "log"
    app = create_app(
        settings.model_copy(update={"worker_in_process": True, "job_poll_interval": 0.05}), db=db
    )
    async with app.router.lifespan_context(app):
        async with db.transaction() as s:
            await enqueue(s, Record(log=str(log), n=1))

        async def done() -> bool:
            return any(ln.startswith("done 1") for ln in lines(log))

        await wait_until(done, timeout=10)
        worker = app.state.worker
    assert worker is not None and worker.completed >= 1
    assert worker._stop.is_set()  # the app stopped its worker on shutdown
