"""Periodic jobs run on their schedule: moved by a fake clock, with several workers."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta

import pytest
from sqlalchemy import select

from repdesk.db.engine import Database
from repdesk.jobs.models import Job
from repdesk.jobs.registry import PERIODIC, periodic
from repdesk.jobs.worker import Worker
from repdesk.kit.time import utcnow
from tests.jobs import sample_tasks


class FakeClock:
    def __init__(self) -> None:
        self.now = utcnow()

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


@pytest.fixture
def only_tick() -> Iterator[None]:
    """``test.tick`` as the only periodic kind (the app's own ones are put back after)."""
    saved = dict(PERIODIC)
    PERIODIC.clear()
    periodic(sample_tasks.Tick, every_seconds=21600)
    sample_tasks.TICKS.clear()
    try:
        yield
    finally:
        PERIODIC.clear()
        PERIODIC.update(saved)


async def loop_once(workers: list[Worker]) -> None:
    """What each worker's loop does every few seconds: schedule, then run what is due."""
    for w in workers:
        await w.schedule_periodic()
        await w.drain()


@pytest.mark.usefixtures("only_tick")
async def test_a_six_hour_job_runs_once_per_six_hours_across_two_workers(db: Database) -> None:
    clock = FakeClock()
    workers = [Worker(db, clock=clock, name=f"w{i}") for i in range(2)]
    await loop_once(workers)
    assert sample_tasks.TICKS == ["tick"]  # due at first start
    # Six hours less a second of loops every 5 minutes: nothing more runs.
    for _ in range(71):
        clock.advance(300)
        await loop_once(workers)
    clock.advance(299)
    await loop_once(workers)
    assert len(sample_tasks.TICKS) == 1
    clock.advance(2)  # past 6 h
    await loop_once(workers)
    await loop_once(workers)
    assert len(sample_tasks.TICKS) == 2
    async with db.session() as s:
        assert await s.scalar(select(Job.id).where(Job.kind == "test.tick")) is None


@pytest.mark.usefixtures("only_tick")
async def test_a_schedule_claimed_concurrently_enqueues_one_run(db: Database) -> None:
    import asyncio

    clock = FakeClock()
    workers = [Worker(db, clock=clock, name=f"w{i}") for i in range(4)]
    await asyncio.gather(*(w.schedule_periodic() for w in workers))
    async with db.session() as s:
        jobs = (await s.scalars(select(Job).where(Job.kind == "test.tick"))).all()
    assert len(jobs) == 1


@pytest.mark.usefixtures("only_tick")
async def test_a_shortened_period_takes_effect(db: Database) -> None:
    clock = FakeClock()
    worker = Worker(db, clock=clock)
    await loop_once([worker])
    PERIODIC.clear()
    periodic(sample_tasks.Tick, every_seconds=60)
    clock.advance(61)
    await loop_once([worker])
    assert len(sample_tasks.TICKS) == 2


@pytest.mark.usefixtures("only_tick")
async def test_a_worker_whose_clock_read_a_moment_earlier_does_not_run_it_again(
    db: Database,
) -> None:
    """Two workers read the time, the later one advances the schedule first: the earlier
    one's conditional update must not match (it would run the job twice)."""
    late, early = FakeClock(), FakeClock()
    late.advance(0.5)
    await Worker(db, clock=late, name="late").schedule_periodic()
    await Worker(db, clock=early, name="early").schedule_periodic()
    async with db.session() as s:
        jobs = (await s.scalars(select(Job).where(Job.kind == "test.tick"))).all()
    assert len(jobs) == 1
