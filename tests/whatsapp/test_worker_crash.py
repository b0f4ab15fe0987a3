"""Kill the worker while inbound work is pending: after a restart each message's follow-up
work takes effect exactly once (media stored once, no message lost or doubled)."""

from __future__ import annotations

import signal
import subprocess
from pathlib import Path

import httpx
from sqlalchemy import func, select

from repdesk.conversations.models import Message
from repdesk.db.engine import Database
from repdesk.files.models import StoredFile
from repdesk.jobs.models import Job
from tests import workers
from tests.fakes.graph import FakeGraph
from tests.whatsapp.helpers import connected_assistant, dumps, envelope, message, sign

VOICE_NOTES = 24


def spawn_worker(database_url: str, data_dir: Path) -> subprocess.Popen[bytes]:
    return workers.spawn_worker(database_url, data_dir, stderr=subprocess.DEVNULL)


async def wait_until(predicate, timeout: float = 60.0) -> None:  # type: ignore[no-untyped-def]
    await workers.wait_until(predicate, timeout)


async def test_killed_worker_leaves_each_message_processed_exactly_once(
    db: Database, graph: FakeGraph, client: httpx.AsyncClient, database_url: str, data_dir: Path
) -> None:
    _, conn = await connected_assistant(db, graph)
    async with db.transaction() as session:  # the connect-time template sync is not under test
        for job in await session.scalars(select(Job)):
            await session.delete(job)
    payload_msgs = []
    for i in range(VOICE_NOTES):
        media_id = graph.add_media(f"OggS voice note {i}".encode() * 50, "audio/ogg; codecs=opus")
        payload_msgs.append(
            message(
                "audio",
                {
                    "mime_type": "audio/ogg; codecs=opus",
                    "sha256": "x",
                    "id": media_id,
                    "voice": True,
                },
            )
        )
    body = dumps(envelope(graph, messages=payload_msgs))
    r = await client.post(
        f"/webhooks/whatsapp_cloud/{conn.webhook_path}",
        content=body,
        headers={"x-hub-signature-256": sign(body)},
    )
    assert r.status_code == 200 and r.json()["received"] == VOICE_NOTES
    graph.download_delay = 0.4

    victim = spawn_worker(database_url, data_dir)
    try:

        async def some_in_flight() -> bool:
            return len(graph.requests_to("", "GET")) >= 6

        await wait_until(some_in_flight)
        victim.send_signal(signal.SIGKILL)
        victim.wait(10)
    finally:
        if victim.poll() is None:
            victim.kill()

    async def stored_count() -> int:
        async with db.transaction() as session:
            rows = await session.scalars(select(Message))
            return sum(1 for m in rows if (m.content or {}).get("fileId"))

    interrupted = await stored_count()
    assert interrupted < VOICE_NOTES  # the crash left work pending
    graph.download_delay = 0.0
    rescuer = spawn_worker(database_url, data_dir)
    try:

        async def all_done() -> bool:
            async with db.transaction() as session:
                pending = await session.scalar(
                    select(func.count())
                    .select_from(Job)
                    .where(Job.kind == "whatsapp.download_media")
                )
            return pending == 0 and await stored_count() == VOICE_NOTES

        await wait_until(all_done)
    finally:
        rescuer.terminate()
        rescuer.wait(10)

    async with db.transaction() as session:
        msgs = list(await session.scalars(select(Message)))
        files = list(
            await session.scalars(select(StoredFile).where(StoredFile.purpose == "whatsapp_media"))
        )
    assert len(msgs) == VOICE_NOTES  # nothing lost, nothing doubled
    assert len(files) == VOICE_NOTES  # each stored exactly once
    assert {m.content["fileId"] for m in msgs} == {f.id for f in files}
