"""PostgreSQL, two ``repdesk worker`` processes: every scheduled message is sent exactly once,
even with a stale job of an edited time beside each one's current job."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select

from repdesk.campaigns.scheduled.models import ScheduledMessage, ScheduleState
from repdesk.db.engine import Database
from tests.campaigns.schedule_helpers import at, schedule, schedule_jobs, text
from tests.developer_api.conftest import connected_tenant, customer_writes
from tests.factories import login
from tests.fakes.graph import FakeGraph
from tests.jobs.test_queue import count_jobs
from tests.workers import spawn_worker, wait_until

COUNT = 40
OPEN = "+2348031110001"


@pytest.mark.postgres_only
async def test_two_worker_processes_send_each_scheduled_message_once(
    client: httpx.AsyncClient, db: Database, graph: FakeGraph, database_url: str, data_dir: Path
) -> None:
    tenant = await connected_tenant(db, graph, credits=1000)
    await customer_writes(db, tenant.assistant, phone=OPEN, text="hi")
    await login(client, email="owner@shop.test", password="correct horse battery")
    aid = tenant.assistant.id
    ids = []
    for n in range(COUNT):
        made = await schedule(
            client, aid, {"to": {"phone": OPEN}, "content": text(f"m{n}"), "sendAt": at(8)}
        )
        if n % 2:  # moved away and back: a stale job (600 s) beside the current one
            for when in (at(600), made["sendAt"]):
                r = await client.patch(
                    f"/api/scheduled-messages/{made['id']}", json={"sendAt": when}
                )
                assert r.status_code == 200, r.text
        ids.append(made["id"])
    assert await schedule_jobs(db) == COUNT + COUNT // 2
    workers = [spawn_worker(database_url, data_dir, lease=30) for _ in range(2)]
    try:

        async def all_handled() -> bool:
            async with db.session() as s:
                left = await s.scalar(
                    select(func.count())
                    .select_from(ScheduledMessage)
                    .where(ScheduledMessage.state == ScheduleState.SCHEDULED)
                )
            return left == 0 and await count_jobs(db, kind="channel.send") == 0

        await wait_until(all_handled, timeout=60)
    finally:
        for w in workers:
            w.terminate()
        for w in workers:
            w.wait(10)
    sent = Counter(m["text"]["body"] for m in graph.sent)
    assert sent == Counter({f"m{n}": 1 for n in range(COUNT)})
    for sid in ids:
        r = await client.get(f"/api/scheduled-messages/{sid}")
        assert r.json()["state"] == "sent" and r.json()["messageStatus"] == "sent", r.text
    assert await schedule_jobs(db) == COUNT // 2  # only the stale jobs of the 600 s time are left
