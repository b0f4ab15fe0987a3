"""The inbound queue behind Meta's webhooks: a POST is stored raw and acknowledged, and the
``inbound.ingest`` job turns it into conversation state, in batches, exactly once."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import httpx
import pytest
from sqlalchemy import event, func, select
from sqlalchemy.orm import Session

from repdesk.assistants.models import Assistant
from repdesk.channels.whatsapp import service as wa
from repdesk.channels.whatsapp.models import WhatsAppConnection
from repdesk.conversations.models import Message
from repdesk.db.engine import Database
from repdesk.inbound import service as intake
from repdesk.inbound import tasks as intake_tasks
from repdesk.inbound.config import reset_inbound_settings
from repdesk.inbound.models import InboundEvent
from repdesk.jobs.models import Job
from repdesk.jobs.worker import Worker
from tests.fakes.graph import FakeGraph
from tests.whatsapp.helpers import connected_assistant, dumps, envelope, sign, text


async def post(client: httpx.AsyncClient, conn: WhatsAppConnection, payload: Any) -> dict:
    body = dumps(payload)
    r = await client.post(
        f"/webhooks/whatsapp_cloud/{conn.webhook_path}",
        content=body,
        headers={"content-type": "application/json", "x-hub-signature-256": sign(body)},
    )
    assert r.status_code == 200, r.text
    return dict(r.json())


async def count(db: Database, stmt: Any) -> int:
    async with db.session() as session:
        return int(await session.scalar(stmt) or 0)


def ingest_worker(db: Database) -> Worker:
    return Worker(db, kinds=[intake.INGEST_JOB], poll_interval=0.05)


async def test_posts_in_one_window_share_one_job_that_runs_at_the_window_end(
    db: Database, graph: FakeGraph, client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("REPDESK_INGEST_BATCH_MS", "1000")
    reset_inbound_settings()
    _, conn = await connected_assistant(db, graph)
    # Start right after a window boundary so that the three posts land in one window.
    await asyncio.sleep(1.0 - (time.time() % 1.0) + 0.01)
    acks = [await post(client, conn, envelope(graph, messages=[text(f"m{i}")])) for i in range(3)]
    assert [a["received"] for a in acks] == [1, 1, 1]
    # Acknowledged and stored raw; not yet conversation state, one job for the window.
    assert await count(db, select(func.count()).select_from(InboundEvent)) == 3
    assert await count(db, select(func.count()).select_from(Message)) == 0
    assert await count(db, select(func.count()).where(Job.kind == intake.INGEST_JOB)) == 1
    assert await ingest_worker(db).drain() == 0  # not due before the window ends
    await asyncio.sleep(1.0 - (time.time() % 1.0) + 0.05)
    assert await ingest_worker(db).drain() == 1
    async with db.session() as session:
        texts = sorted(m.text for m in await session.scalars(select(Message)))
        pending = await session.scalar(
            select(func.count()).where(InboundEvent.processed_at.is_(None))
        )
    assert texts == ["m0", "m1", "m2"] and pending == 0


async def test_redelivery_after_processing_schedules_nothing(
    db: Database, graph: FakeGraph, client: httpx.AsyncClient
) -> None:
    _, conn = await connected_assistant(db, graph)
    payload = envelope(graph, messages=[text("once")])
    assert (await post(client, conn, payload))["received"] == 1
    assert await ingest_worker(db).drain() == 1
    again = await post(client, conn, payload)
    assert again["received"] == 0 and again["duplicates"] == 1
    assert await count(db, select(func.count()).where(Job.kind == intake.INGEST_JOB)) == 0
    assert await count(db, select(func.count()).select_from(Message)) == 1


async def test_a_failing_event_is_retried_alone_and_set_aside_without_blocking_others(
    db: Database, graph: FakeGraph, client: httpx.AsyncClient
) -> None:
    _, conn = await connected_assistant(db, graph)

    def poison(session: Session, _ctx: Any, _instances: Any) -> None:
        for obj in session.new:
            if isinstance(obj, Message) and obj.text == "poison":
                raise RuntimeError("cannot store this one")

    event.listen(Session, "before_flush", poison)
    try:
        batch = [text("first"), text("poison"), text("last")]
        assert (await post(client, conn, envelope(graph, messages=batch)))["received"] == 3
        worker = ingest_worker(db)
        for attempt in range(1, intake.MAX_ATTEMPTS + 1):
            async with db.transaction() as session:  # make the retry due now
                for job in await session.scalars(select(Job).where(Job.kind == intake.INGEST_JOB)):
                    job.run_at = job.created_at
            await worker.drain()
            async with db.session() as session:
                texts = sorted(m.text for m in await session.scalars(select(Message)))
                bad = await session.scalar(
                    select(InboundEvent)
                    .where(InboundEvent.external_id.like("msg:%"))
                    .where(InboundEvent.attempts > 0)
                )
            assert texts == ["first", "last"]  # the others went through at the first attempt
            assert bad is not None and bad.attempts == attempt
            assert "cannot store this one" in (bad.last_error or "")
        assert bad.processed_at is not None  # set aside after the last attempt
    finally:
        event.remove(Session, "before_flush", poison)


async def test_sweep_picks_up_an_event_no_job_was_scheduled_for(
    db: Database, graph: FakeGraph, client: httpx.AsyncClient
) -> None:
    _, conn = await connected_assistant(db, graph)
    await post(client, conn, envelope(graph, messages=[text("orphan")]))
    async with db.transaction() as session:  # as if the batch ran just before this commit
        for job in await session.scalars(select(Job)):
            await session.delete(job)
    async with db.transaction() as session:
        await intake_tasks.sweep(session, {})
    await ingest_worker(db).drain()
    async with db.session() as session:
        assert [m.text for m in await session.scalars(select(Message))] == ["orphan"]


async def test_a_removed_connection_stops_taking_webhooks_even_while_cached(
    db: Database, graph: FakeGraph, client: httpx.AsyncClient
) -> None:
    assistant, conn = await connected_assistant(db, graph)
    await post(client, conn, envelope(graph, messages=[text("before")]))  # caches the path
    async with db.transaction() as session:  # as another replica would: no cache eviction here
        await session.delete(await session.get(WhatsAppConnection, conn.id))
    body = dumps(envelope(graph, messages=[text("after")]))
    r = await client.post(
        f"/webhooks/whatsapp_cloud/{conn.webhook_path}",
        content=body,
        headers={"content-type": "application/json", "x-hub-signature-256": sign(body)},
    )
    assert r.status_code == 404 and r.json()["code"] == "NOT_FOUND"
    assert await count(db, select(func.count()).select_from(InboundEvent)) == 0


async def test_disconnecting_drops_the_events_still_queued_for_the_number(
    db: Database, graph: FakeGraph, client: httpx.AsyncClient
) -> None:
    assistant, conn = await connected_assistant(db, graph)
    await post(client, conn, envelope(graph, messages=[text("queued")]))
    assert await count(db, select(func.count()).select_from(InboundEvent)) == 1
    async with db.transaction() as session:
        await wa.disconnect(session, await session.get(Assistant, assistant.id))
    assert await count(db, select(func.count()).select_from(InboundEvent)) == 0
    await ingest_worker(db).drain()
    assert await count(db, select(func.count()).select_from(Message)) == 0
