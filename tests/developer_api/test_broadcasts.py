"""POST /v1/broadcast: answered at once, then sent one by one, charged per message, with
per-recipient status (queued, sent, delivered, read, failed, skipped)."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import httpx
import pytest
from sqlalchemy import func, select

from repdesk.campaigns import service as broadcasts
from repdesk.campaigns.config import reset_campaign_settings
from repdesk.campaigns.models import Broadcast
from repdesk.conversations import service as conversations
from repdesk.conversations.models import Message
from repdesk.db.engine import Database
from repdesk.jobs.worker import Worker
from repdesk.kit.time import utcnow
from tests.developer_api.conftest import Tenant, balance, connected_tenant, customer_writes
from tests.fakes.graph import FakeGraph

OPEN, CLOSED, NEW = "+2348031110001", "+2348031110002", "+2348031110003"
TEMPLATE = {
    "name": "welcome_back",
    "language": {"code": "en_US"},
    "components": [{"type": "body", "parameters": [{"type": "text", "text": "friend"}]}],
}


@pytest.fixture
async def shop(db: Database, graph: FakeGraph, worker: Worker) -> Tenant:
    tenant = await connected_tenant(db, graph)
    await worker.drain()
    await customer_writes(db, tenant.assistant, phone=OPEN, text="hi")
    await customer_writes(
        db, tenant.assistant, phone=CLOSED, text="long ago", sent_at=utcnow() - timedelta(hours=30)
    )
    return tenant


async def finish(client: httpx.AsyncClient, worker: Worker, tenant: Tenant, bid: str) -> dict:
    """Run the worker until the broadcast is done (polling the table, not the rate-limited API)."""
    for _ in range(300):
        await worker.drain()
        async with db_of(worker).session() as s:
            b = await s.get(Broadcast, bid)
            assert b is not None
            progress = await broadcasts.progress(s, b)
        if b.status == "completed" and progress["queued"] == 0:
            r = await client.get(f"/v1/broadcast/{bid}", headers=tenant.headers())
            assert r.status_code == 200, r.text
            return dict(r.json())
        await asyncio.sleep(0.03)
    raise AssertionError(f"broadcast did not finish: {progress}")


def db_of(worker: Worker) -> Database:
    return worker.db


async def test_template_broadcast_reaches_everyone_and_charges_per_message(
    client: httpx.AsyncClient, db: Database, graph: FakeGraph, shop: Tenant, worker: Worker
) -> None:
    r = await client.post(
        "/v1/broadcast",
        headers=shop.headers(),
        json={"type": "template", "template": TEMPLATE, "recipients": [OPEN, CLOSED, NEW, OPEN]},
    )
    assert r.status_code == 202, r.text
    started = r.json()
    assert started["status"] == "queued" and started["recipientCount"] == 3
    assert started["progress"]["queued"] == 3 and graph.sent == []  # answered before sending

    done = await finish(client, worker, shop, started["broadcastId"])
    assert done["progress"] == {
        "queued": 0,
        "sent": 3,
        "delivered": 0,
        "read": 0,
        "failed": 0,
        "skipped": 0,
    }
    assert sorted(p["phone"] for p in done["recipients"]) == sorted([OPEN, CLOSED, NEW])
    assert len(graph.sent) == 3 and all(s["type"] == "template" for s in graph.sent)
    assert await balance(db, shop.workspace_id) == 20 - 3 * 4
    async with db.session() as s:
        senders = set(await s.scalars(select(Message.sender).where(Message.direction == "out")))
        assert senders == {"broadcast"}
        wamid = await s.scalar(select(Message.external_id).where(Message.direction == "out"))
    async with db.transaction() as s:
        await conversations.apply_status(
            s,
            assistant_id=shop.assistant.id,
            channel="whatsapp",
            external_id=wamid,
            status="read",
        )
    body = (
        await client.get(f"/v1/broadcast/{started['broadcastId']}", headers=shop.headers())
    ).json()
    assert body["progress"]["read"] == 1 and body["progress"]["sent"] == 2


async def test_free_form_broadcast_skips_closed_windows_with_the_reason(
    client: httpx.AsyncClient, db: Database, graph: FakeGraph, shop: Tenant, worker: Worker
) -> None:
    r = await client.post(
        "/v1/broadcast",
        headers=shop.headers(),
        json={
            "type": "text",
            "text": {"body": "Flash sale today 🎉"},
            "recipients": [OPEN, CLOSED, NEW],
        },
    )
    assert r.status_code == 202, r.text
    done = await finish(client, worker, shop, r.json()["broadcastId"])
    assert done["progress"]["sent"] == 1 and done["progress"]["skipped"] == 2
    by_phone = {p["phone"]: p for p in done["recipients"]}
    assert by_phone[OPEN]["status"] == "sent" and by_phone[OPEN]["messageId"]
    for phone in (CLOSED, NEW):
        assert by_phone[phone]["status"] == "skipped"
        assert by_phone[phone]["reason"].startswith("SERVICE_WINDOW_CLOSED")
    assert len(graph.sent) == 1 and await balance(db, shop.workspace_id) == 18


async def test_running_out_of_credits_fails_the_rest(
    client: httpx.AsyncClient, db: Database, graph: FakeGraph, worker: Worker
) -> None:
    shop = await connected_tenant(db, graph, credits=6)
    await worker.drain()
    r = await client.post(
        "/v1/broadcast",
        headers=shop.headers(),
        json={"type": "template", "template": TEMPLATE, "recipients": [OPEN, CLOSED, NEW]},
    )
    done = await finish(client, worker, shop, r.json()["broadcastId"])
    assert done["progress"]["sent"] == 1 and done["progress"]["failed"] == 2
    failed = [p for p in done["recipients"] if p["status"] == "failed"]
    assert all(p["reason"].startswith("INSUFFICIENT_CREDITS") for p in failed)
    assert await balance(db, shop.workspace_id) == 2


async def test_bad_broadcasts_are_refused_and_store_nothing(
    client: httpx.AsyncClient, db: Database, shop: Tenant
) -> None:
    cases = [
        (
            {
                "type": "template",
                "template": {"name": "spring_sale", "language": "en_US"},
                "recipients": [OPEN],
            },
            "TEMPLATE_NOT_APPROVED",
        ),
        (
            {"type": "text", "text": {"body": "x"}, "recipients": [OPEN, "0803"]},
            "INVALID_PHONE_NUMBER",
        ),
        ({"type": "text", "text": {"body": "x"}, "recipients": []}, "VALIDATION_ERROR"),
        ({"type": "text", "recipients": [OPEN]}, "VALIDATION_ERROR"),
    ]
    for body, code in cases:
        r = await client.post("/v1/broadcast", headers=shop.headers(), json=body)
        assert r.status_code == 400 and r.json()["code"] == code, (body, r.text)
    async with db.session() as s:
        assert await s.scalar(select(func.count()).select_from(Broadcast)) == 0


async def test_sandbox_broadcast_sends_and_charges_nothing(
    client: httpx.AsyncClient, db: Database, graph: FakeGraph, shop: Tenant, worker: Worker
) -> None:
    r = await client.post(
        "/v1/broadcast",
        headers=shop.headers(sandbox=True),
        json={"type": "template", "template": TEMPLATE, "recipients": [OPEN, NEW]},
    )
    assert r.status_code == 202 and r.json()["sandbox"] is True
    done = await finish(client, worker, shop, r.json()["broadcastId"])
    assert done["progress"]["sent"] == 2
    assert graph.sent == [] and await balance(db, shop.workspace_id) == 20


async def test_messages_go_out_one_at_a_time_with_a_pause(
    client: httpx.AsyncClient,
    db: Database,
    graph: FakeGraph,
    shop: Tenant,
    worker: Worker,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("REPDESK_BROADCAST_DELAY_SECONDS", "0.3")
    reset_campaign_settings()
    r = await client.post(
        "/v1/broadcast",
        headers=shop.headers(),
        json={"type": "template", "template": TEMPLATE, "recipients": [OPEN, CLOSED, NEW]},
    )
    await finish(client, worker, shop, r.json()["broadcastId"])
    async with db.session() as s:
        times = list(
            await s.scalars(
                select(Message.created_at)
                .where(Message.sender == "broadcast")
                .order_by(Message.created_at)
            )
        )
    assert len(times) == 3
    gaps = [(b - a).total_seconds() for a, b in zip(times, times[1:])]
    assert all(g >= 0.25 for g in gaps), gaps
