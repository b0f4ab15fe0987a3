"""The periodic template sync runs on its schedule (every 6 h), not on every worker loop."""

from __future__ import annotations

from repdesk.db.engine import Database
from repdesk.jobs.worker import Worker
from tests.fakes.graph import FakeGraph
from tests.whatsapp.helpers import connected_assistant


async def test_template_sync_calls_meta_once_in_twenty_seconds_of_worker_loops(
    db: Database, graph: FakeGraph
) -> None:
    await connected_assistant(db, graph)
    workers = [Worker(db, name="a"), Worker(db, name="b")]
    await workers[0].drain()  # the sync queued by connecting
    before = len(graph.requests_to("/message_templates", "GET"))
    # Each worker's loop schedules periodic jobs every 5 s: 20 s of two workers' loops.
    for _ in range(4):
        for w in workers:
            await w.schedule_periodic()
            await w.drain()
    assert len(graph.requests_to("/message_templates", "GET")) - before == 1
