"""Helpers for the scheduled-message tests: times with an offset, workers whose clock is ahead."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import httpx
from sqlalchemy import func, select

from repdesk.db.engine import Database
from repdesk.jobs.models import Job
from repdesk.jobs.worker import Worker
from repdesk.kit.time import utcnow

LAGOS = timezone(timedelta(hours=1))


def at(seconds: float, *, base: datetime | None = None) -> str:
    """ISO 8601 with a +01:00 offset, ``seconds`` from now."""
    return ((base or utcnow()) + timedelta(seconds=seconds)).astimezone(LAGOS).isoformat()


def worker_at(db: Database, seconds: float) -> Worker:
    """A worker whose clock reads ``seconds`` from now: it runs what is due by then."""
    return Worker(
        db,
        concurrency=4,
        lease_seconds=30,
        poll_interval=0.05,
        clock=lambda: utcnow() + timedelta(seconds=seconds),
    )


async def schedule_jobs(db: Database) -> int:
    async with db.session() as s:
        return int(
            await s.scalar(
                select(func.count()).select_from(Job).where(Job.kind == "schedules.send")
            )
            or 0
        )


async def schedule(
    client: httpx.AsyncClient, assistant_id: str, body: dict, status: int = 201
) -> dict:
    r = await client.post(f"/api/assistants/{assistant_id}/scheduled-messages", json=body)
    assert r.status_code == status, r.text
    return dict(r.json())


def text(body: str) -> dict:
    return {"type": "text", "text": {"body": body}}
