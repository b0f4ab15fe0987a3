"""Broadcasts in the management API: the dashboard's session queues and reads them through the
same service as /v1/broadcast; the answers have the same shape, scoped to the workspace."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import httpx

from repdesk.db.engine import Database
from repdesk.jobs.worker import Worker
from repdesk.kit.time import utcnow
from tests.developer_api.conftest import connected_tenant, customer_writes
from tests.factories import create_assistant, login, signed_in
from tests.fakes.graph import FakeGraph

OPEN, CLOSED, NEW = "+2348031110001", "+2348031110002", "+2348031110003"


async def _done(client: httpx.AsyncClient, worker: Worker, bid: str) -> dict:
    for _ in range(300):
        await worker.drain()
        r = await client.get(f"/api/broadcasts/{bid}")
        assert r.status_code == 200, r.text
        if r.json()["status"] == "completed" and r.json()["progress"]["queued"] == 0:
            return dict(r.json())
        await asyncio.sleep(0.03)
    raise AssertionError(f"broadcast did not finish: {r.json()}")


async def test_a_text_broadcast_through_the_management_api_skips_closed_windows(
    client: httpx.AsyncClient, db: Database, graph: FakeGraph, worker: Worker
) -> None:
    tenant = await connected_tenant(db, graph)
    await worker.drain()
    await customer_writes(db, tenant.assistant, phone=OPEN, text="hi")
    await customer_writes(
        db, tenant.assistant, phone=CLOSED, text="old", sent_at=utcnow() - timedelta(hours=30)
    )
    await login(client, email="owner@shop.test", password="correct horse battery")
    aid = tenant.assistant.id

    r = await client.post(
        f"/api/assistants/{aid}/broadcasts",
        json={"name": "Friday", "text": "Sale today", "recipients": [OPEN, CLOSED, NEW, OPEN]},
    )
    assert r.status_code == 202, r.text
    started = r.json()
    assert started["recipientCount"] == 3 and started["status"] == "queued"
    assert started["type"] == "text" and started["sandbox"] is False
    assert started["recipients"] is None  # each recipient: GET /api/broadcasts/{id}

    done = await _done(client, worker, started["broadcastId"])
    assert done["progress"] == {
        "queued": 0,
        "sent": 1,
        "delivered": 0,
        "read": 0,
        "failed": 0,
        "skipped": 2,
    }
    by_phone = {x["phone"]: x for x in done["recipients"]}
    assert by_phone[OPEN]["status"] == "sent" and by_phone[OPEN]["messageId"]
    assert by_phone[CLOSED]["reason"].startswith("SERVICE_WINDOW_CLOSED")
    assert [m["text"]["body"] for m in graph.sent] == ["Sale today"]

    listed = (await client.get(f"/api/assistants/{aid}/broadcasts")).json()
    assert [b["broadcastId"] for b in listed["data"]] == [started["broadcastId"]]
    assert listed["data"][0]["progress"] == done["progress"] and listed["hasMore"] is False


async def test_bad_broadcasts_are_a_400_that_queues_nothing(
    client: httpx.AsyncClient, db: Database
) -> None:
    account = await signed_in(client, db)
    aid = (await create_assistant(db, workspace_id=account.workspace_id)).id
    base = f"/api/assistants/{aid}/broadcasts"
    for body, code in [
        ({"text": "hi", "recipients": []}, "VALIDATION_ERROR"),
        ({"recipients": [OPEN]}, "VALIDATION_ERROR"),  # neither text nor template
        ({"text": "hi", "template": {"name": "x"}, "recipients": [OPEN]}, "VALIDATION_ERROR"),
        ({"text": "hi", "recipients": ["0801"]}, "INVALID_PHONE_NUMBER"),
        ({"text": "hi", "recipients": [OPEN], "sandbox": True}, "VALIDATION_ERROR"),
    ]:
        r = await client.post(base, json=body)
        assert r.status_code == 400 and r.json()["code"] == code, (body, r.text)
    assert (await client.get(base)).json()["data"] == []


async def test_broadcasts_are_scoped_to_the_workspace_and_to_whatsapp(
    client: httpx.AsyncClient, db: Database, graph: FakeGraph, worker: Worker
) -> None:
    tenant = await connected_tenant(db, graph)
    await login(client, email="owner@shop.test", password="correct horse battery")
    r = await client.post(
        f"/api/assistants/{tenant.assistant.id}/broadcasts",
        json={"text": "hi", "recipients": [OPEN]},
    )
    assert r.status_code == 202, r.text
    bid = r.json()["broadcastId"]

    client.cookies.clear()
    rival = await signed_in(client, db, email="rival@shop.test")
    assert (await client.get(f"/api/broadcasts/{bid}")).status_code == 404
    assert (
        await client.get(f"/api/assistants/{tenant.assistant.id}/broadcasts")
    ).status_code == 404
    widget = await create_assistant(db, workspace_id=rival.workspace_id, platform="widget")
    r = await client.post(
        f"/api/assistants/{widget.id}/broadcasts", json={"text": "hi", "recipients": [OPEN]}
    )
    assert r.status_code == 404
