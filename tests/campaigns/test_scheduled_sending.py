"""Scheduled messages at their time: sent once through the one send path, on time; edits and
cancels win over a stale job; what the send path refuses is recorded and the owners told; a
message due while no worker ran is sent once when one starts, marked late."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

import httpx
import pytest

from repdesk.campaigns.scheduled.config import reset_schedule_settings
from repdesk.db.engine import Database
from repdesk.jobs.worker import Worker
from repdesk.kit.time import utcnow
from tests.campaigns.schedule_helpers import at, schedule, schedule_jobs, text, worker_at
from tests.developer_api.conftest import balance, connected_tenant, customer_writes
from tests.factories import login, outbox_messages
from tests.fakes.graph import FakeGraph

OPEN, CLOSED = "+2348031110001", "+2348031110002"


@pytest.fixture(autouse=True)
def late_after_one_second(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("REPDESK_SCHEDULE_LATE_SECONDS", "1")
    reset_schedule_settings()
    yield
    reset_schedule_settings()


async def _shop(client: httpx.AsyncClient, db: Database, graph: FakeGraph, **kw: int) -> str:
    tenant = await connected_tenant(db, graph, **kw)
    await Worker(db).drain()  # the connect-time template sync
    await customer_writes(db, tenant.assistant, phone=OPEN, text="hi")
    await customer_writes(
        db, tenant.assistant, phone=CLOSED, text="old", sent_at=utcnow() - timedelta(hours=30)
    )
    await login(client, email="owner@shop.test", password="correct horse battery")
    return tenant.assistant.id


async def _get(client: httpx.AsyncClient, sid: str) -> dict:
    r = await client.get(f"/api/scheduled-messages/{sid}")
    assert r.status_code == 200, r.text
    return dict(r.json())


async def test_a_scheduled_message_is_sent_once_on_time_by_a_running_worker(
    client: httpx.AsyncClient, db: Database, graph: FakeGraph
) -> None:
    aid = await _shop(client, db, graph)
    made = await schedule(
        client,
        aid,
        {"to": {"phone": OPEN}, "content": text("Your table is ready"), "sendAt": at(1.5)},
    )
    worker = Worker(db, concurrency=4, lease_seconds=30, poll_interval=0.05)
    running = asyncio.create_task(worker.run_forever())
    try:
        await asyncio.sleep(0.8)
        assert graph.sent == [] and (await _get(client, made["id"]))["state"] == "scheduled"
        for _ in range(100):
            if graph.sent:
                break
            await asyncio.sleep(0.05)
        await asyncio.sleep(0.5)  # anything that would send it a second time
    finally:
        worker.stop()
        await running
    assert [m["text"]["body"] for m in graph.sent] == ["Your table is ready"]
    done = await _get(client, made["id"])
    assert done["state"] == "sent" and done["late"] is False and done["errorCode"] is None
    assert done["messageId"] and done["messageStatus"] == "sent"
    lag = ((await _when(done["handledAt"])) - (await _when(done["sendAt"]))).total_seconds()
    assert 0 <= lag < 3, lag  # "on time within a few seconds" (a shared, loaded machine)
    assert await schedule_jobs(db) == 0


async def _when(iso: str) -> datetime:
    return datetime.fromisoformat(iso.replace("Z", "+00:00"))


async def test_a_message_due_while_no_worker_ran_is_sent_once_on_start_and_marked_late(
    client: httpx.AsyncClient, db: Database, graph: FakeGraph
) -> None:
    aid = await _shop(client, db, graph)
    made = await schedule(
        client, aid, {"to": {"phone": OPEN}, "content": text("Reminder"), "sendAt": at(4)}
    )  # (4 s ahead: a loaded machine has taken more than 2 s to answer the POST)
    # Every process down past the time (rounded up to the second) and the 1 s allowed.
    await asyncio.sleep(7)
    assert graph.sent == []
    first, second = Worker(db), Worker(db)  # the processes coming back
    await asyncio.gather(first.drain(), second.drain())
    assert [m["text"]["body"] for m in graph.sent] == ["Reminder"]
    done = await _get(client, made["id"])
    assert done["state"] == "sent" and done["late"] is True


async def test_an_edited_time_leaves_the_old_job_harmless(
    client: httpx.AsyncClient, db: Database, graph: FakeGraph
) -> None:
    aid = await _shop(client, db, graph)
    made = await schedule(
        client, aid, {"to": {"phone": OPEN}, "content": text("v1"), "sendAt": at(600)}
    )
    r = await client.patch(
        f"/api/scheduled-messages/{made['id']}",
        json={"sendAt": at(1200), "content": text("v2")},
    )
    assert r.status_code == 200, r.text
    await worker_at(db, 700).drain()  # the old time comes: its job runs and does nothing
    assert graph.sent == [] and (await _get(client, made["id"]))["state"] == "scheduled"
    assert await schedule_jobs(db) == 1
    r = await client.patch(f"/api/scheduled-messages/{made['id']}", json={"sendAt": at(300)})
    assert r.status_code == 200  # and back earlier than either
    await worker_at(db, 400).drain()
    await worker_at(db, 1300).drain()  # the 1200 s job finds it sent
    assert [m["text"]["body"] for m in graph.sent] == ["v2"]
    assert (await _get(client, made["id"]))["state"] == "sent"
    assert await schedule_jobs(db) == 0
    r = await client.patch(f"/api/scheduled-messages/{made['id']}", json={"content": text("v3")})
    assert r.status_code == 409 and r.json()["code"] == "SCHEDULE_NOT_EDITABLE"
    r = await client.delete(f"/api/scheduled-messages/{made['id']}")
    assert r.status_code == 409


async def test_a_cancelled_message_is_never_sent(
    client: httpx.AsyncClient, db: Database, graph: FakeGraph
) -> None:
    aid = await _shop(client, db, graph)
    made = await schedule(
        client, aid, {"to": {"phone": OPEN}, "content": text("nope"), "sendAt": at(60)}
    )
    assert (await client.delete(f"/api/scheduled-messages/{made['id']}")).status_code == 200
    await worker_at(db, 120).drain()
    assert graph.sent == []
    done = await _get(client, made["id"])
    assert done["state"] == "cancelled" and done["messageId"] is None


async def test_a_closed_window_fails_with_its_code_and_the_owner_is_told(
    client: httpx.AsyncClient, db: Database, graph: FakeGraph, data_dir: Path
) -> None:
    aid = await _shop(client, db, graph)
    before = await balance(db, (await client.get("/api/workspace")).json()["id"])
    made = await schedule(
        client, aid, {"to": {"phone": CLOSED}, "content": text("Are you there?"), "sendAt": at(60)}
    )
    await worker_at(db, 120).drain()
    assert graph.sent == []
    done = await _get(client, made["id"])
    assert done["state"] == "failed" and done["errorCode"] == "SERVICE_WINDOW_CLOSED"
    assert "24-hour" in done["errorMessage"] and done["messageId"] is None
    assert await balance(db, (await client.get("/api/workspace")).json()["id"]) == before
    mails = [m for m in outbox_messages(data_dir) if "scheduled message" in m["subject"]]
    assert len(mails) == 1 and mails[0]["to"] == "owner@shop.test"
    assert "SERVICE_WINDOW_CLOSED" in mails[0]["body"] and CLOSED in mails[0]["body"]
    failed = (await client.get(f"/api/assistants/{aid}/scheduled-messages?state=failed")).json()
    assert [s["id"] for s in failed["data"]] == [made["id"]]


async def test_a_closed_window_sends_the_fallback_template_the_owner_chose(
    client: httpx.AsyncClient, db: Database, graph: FakeGraph
) -> None:
    aid = await _shop(client, db, graph)
    content = {
        **text("Your order shipped"),
        "fallbackTemplate": {
            "name": "welcome_back",
            "language": "en_US",
            "variables": {"1": {"field": "name", "fallback": "there"}},
        },
    }
    made = await schedule(
        client, aid, {"to": {"phone": CLOSED}, "content": content, "sendAt": at(60)}
    )
    await worker_at(db, 120).drain()
    assert len(graph.sent) == 1 and graph.sent[0]["type"] == "template"
    assert graph.sent[0]["template"]["name"] == "welcome_back"
    params = graph.sent[0]["template"]["components"][0]["parameters"]
    assert params == [{"type": "text", "text": "there"}]
    assert (await _get(client, made["id"]))["state"] == "sent"


async def test_too_few_credits_fails_with_the_reason(
    client: httpx.AsyncClient, db: Database, graph: FakeGraph, data_dir: Path
) -> None:
    aid = await _shop(client, db, graph, credits=1)
    made = await schedule(
        client, aid, {"to": {"phone": OPEN}, "content": text("2 credits"), "sendAt": at(60)}
    )
    await worker_at(db, 120).drain()
    assert graph.sent == []
    done = await _get(client, made["id"])
    assert done["state"] == "failed" and done["errorCode"] == "INSUFFICIENT_CREDITS"
    assert any("INSUFFICIENT_CREDITS" in m["body"] for m in outbox_messages(data_dir))


async def test_a_contact_recipient_gets_a_template_with_its_variables(
    client: httpx.AsyncClient, db: Database, graph: FakeGraph
) -> None:
    aid = await _shop(client, db, graph)
    contacts = (await client.get(f"/api/assistants/{aid}/contacts")).json()["data"]
    contact = next(c for c in contacts if c["phone"] == CLOSED)
    content = {
        "type": "template",
        "template": {
            "name": "order_confirmation",
            "language": "en_US",
            "variables": {"1": {"field": "name", "fallback": "friend"}, "2": {"value": "#42"}},
        },
    }
    made = await schedule(
        client, aid, {"to": {"contactId": contact["id"]}, "content": content, "sendAt": at(60)}
    )
    assert made["to"] == {"contactId": contact["id"], "phone": None}
    await worker_at(db, 120).drain()
    assert [m["template"]["name"] for m in graph.sent] == ["order_confirmation"]
    params = graph.sent[0]["template"]["components"][0]["parameters"]
    assert [p["text"] for p in params] == ["friend", "#42"]
    assert (await _get(client, made["id"]))["state"] == "sent"


async def test_cancels_racing_the_due_job_either_win_or_are_refused(
    client: httpx.AsyncClient, db: Database, graph: FakeGraph
) -> None:
    """Cancel and the due job at the same moment, ten times: a message is sent exactly when
    its cancel was refused, and never both sent and cancelled."""
    aid = await _shop(client, db, graph)
    made = [
        await schedule(
            client, aid, {"to": {"phone": OPEN}, "content": text(f"race {n}"), "sendAt": at(60)}
        )
        for n in range(10)
    ]
    worker = worker_at(db, 120)
    outcomes = []
    for m in made:
        job = await worker.claim(1)
        assert len(job) == 1
        _, r = await asyncio.gather(
            worker.run_job(job[0]), client.delete(f"/api/scheduled-messages/{m['id']}")
        )
        outcomes.append((m["id"], r.status_code))
    await worker.drain()  # the channel.send jobs
    bodies = [s["text"]["body"] for s in graph.sent]
    for n, (sid, status) in enumerate(outcomes):
        state = (await _get(client, sid))["state"]
        if status == 200:
            assert state == "cancelled" and f"race {n}" not in bodies
        else:
            assert status == 409 and state == "sent" and bodies.count(f"race {n}") == 1


async def test_one_job_sends_a_batch_of_due_messages_and_a_refusal_fails_only_its_own(
    client: httpx.AsyncClient, db: Database, graph: FakeGraph
) -> None:
    aid = await _shop(client, db, graph)
    made = [
        await schedule(
            client, aid, {"to": {"phone": OPEN}, "content": text(f"batch {n}"), "sendAt": at(1.5)}
        )
        for n in range(4)
    ]
    refused = await schedule(
        client, aid, {"to": {"phone": CLOSED}, "content": text("closed"), "sendAt": at(1.5)}
    )
    await asyncio.sleep(2.6)
    worker = Worker(db)
    first = await worker.claim(1, job_id=None)
    assert len(first) == 1 and first[0].kind == "schedules.send"
    assert await worker.run_job(first[0])
    states = {m["id"]: (await _get(client, m["id"]))["state"] for m in [*made, refused]}
    assert states == {**{m["id"]: "sent" for m in made}, refused["id"]: "failed"}
    assert await schedule_jobs(db) == 4  # the others' jobs: they will find their message handled
    await worker.drain()
    assert sorted(s["text"]["body"] for s in graph.sent) == [f"batch {n}" for n in range(4)]
    assert (await _get(client, refused["id"]))["errorCode"] == "SERVICE_WINDOW_CLOSED"
    assert await schedule_jobs(db) == 0
