"""Outbound webhooks: registration rules, signed compact bodies a Node receiver verifies the
seed's way, retries with backoff, the delivery log."""

from __future__ import annotations

import asyncio
import time
from datetime import timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from repdesk.assistants.models import Assistant
from repdesk.config import Settings
from repdesk.conversations import service as conversations
from repdesk.db.engine import Database
from repdesk.developer_api.models import WebhookDelivery, WebhookEndpoint
from repdesk.developer_api.wire import js_stringify
from repdesk.jobs.models import Job, JobStatus
from repdesk.jobs.worker import Worker
from repdesk.kit.time import utcnow
from tests.developer_api.conftest import Tenant, customer_writes
from tests.fakes.webhook_receiver import NodeReceiver

CUSTOMER = "+2348031234567"


async def deliveries(db: Database) -> list[WebhookDelivery]:
    async with db.session() as s:
        return list(await s.scalars(select(WebhookDelivery).order_by(WebhookDelivery.id)))


async def run_until(worker: Worker, done: Any, timeout: float = 15) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        await worker.drain()
        if await done():
            return
        await asyncio.sleep(0.05)
    raise AssertionError("condition not reached in time")


async def register(client: httpx.AsyncClient, tenant: Tenant, url: str, **extra: Any) -> dict:
    r = await client.post("/v1/webhooks", headers=tenant.headers(), json={"url": url, **extra})
    assert r.status_code == 201, r.text
    return r.json()


async def test_node_receiver_verifies_signature_for_non_ascii_emoji_and_numbers(
    client: httpx.AsyncClient,
    db: Database,
    worker: Worker,
    tenant: Tenant,
    node_receiver: NodeReceiver,  # noqa: F811
) -> None:
    hook = await register(client, tenant, node_receiver.url)
    assert hook["secret"].startswith("whsec_") and hook["events"][0] == "message.received"
    node_receiver.configure(secret=hook["secret"])

    text = 'Ẹ káàbọ̀! 👋🏾 Ṣé ẹ ní 2 "bags" for ₦5,000? naïve café — 你好 \\ / \u2028 end'
    await customer_writes(db, tenant.assistant, phone=CUSTOMER, text=text, name="Adé 🙂")
    # a structured message with integers, integral floats, fractions and exponents
    async with db.transaction() as session:
        a = await session.get(Assistant, tenant.assistant.id)
        assert a is not None
        await conversations.record_inbound(
            session,
            assistant=a,
            channel="whatsapp",
            type="location",
            text="📍 Lekki",
            content={
                "latitude": 6.4281,
                "longitude": 3.4219,
                "zoom": 10.0,
                "count": 3,
                "tiny": 1e-7,
                "huge": 1e21,
                "price": 5000.5,
                "neg": -0.25,
                "2": "index-like key",
                "name": "Lekki Phase 1 🏖️",
                "nested": [1, 2.0, {"ok": True}],
            },
            phone=CUSTOMER,
            trigger_ai=False,
        )

    async def both_arrived() -> bool:
        return len(node_receiver.received()) >= 2

    await run_until(worker, both_arrived)
    got = node_receiver.received()
    assert [g["event"] for g in got] == ["message.received", "message.received"]
    for g in got:
        assert g["stringifyOk"] is True, g  # JSON.stringify(req.body), as the quick start does
        assert g["rawOk"] is True  # the raw-body verification of "Signature verification"
        assert g["sameBytes"] is True
        assert g["answered"] == 200
        assert g["from"] == CUSTOMER and int(g["timestamp"]) > 1_700_000_000
    got.sort(key=lambda g: g["data"]["type"] != "text")  # the worker runs both at once
    assert got[0]["content"] == text
    assert got[1]["content"]["zoom"] == 10 and got[1]["content"]["tiny"] == 1e-7
    assert set(got[0]["data"]) >= {
        "id",
        "conversationId",
        "from",
        "to",
        "type",
        "content",
        "status",
        "timestamp",
    }
    assert got[0]["data"]["to"] == "+2348000000001"
    logged = await deliveries(db)
    assert [d.status for d in logged] == ["delivered", "delivered"]
    assert all(
        d.attempts == 1 and d.response_code == 200 and d.latency_ms is not None for d in logged
    )
    # The first attempts were made by the dispatching worker, and their leased jobs completed.
    async with db.session() as s:
        assert list(await s.scalars(select(Job).where(Job.kind == "webhooks.deliver"))) == []


def test_js_stringify_matches_node_for_tricky_values() -> None:
    import json
    import subprocess

    value = {
        "b": 1,
        "a": [
            1.0,
            2.5,
            -0.0,
            1e21,
            1e-7,
            123456789012345680000.0,
            0.000001,
            1.5e-10,
            2**53,
            10**21,
            2**64 + 1,
            True,
            None,
            'é\u2028"\\\n\t\x01',
        ],
        "10": "x",
        "2": {"z": 0.1},
        "01": "not an index",
        "": "empty",
        "emoji": "👋🏾",
    }
    ours = js_stringify(value)
    script = (
        "process.stdout.write(JSON.stringify(JSON.parse(require('fs').readFileSync(0,'utf8'))))"
    )
    node = subprocess.run(
        ["node", "-e", script], input=ours.encode(), capture_output=True, check=True
    )
    assert node.stdout.decode() == ours
    assert json.loads(ours)["a"][0] == 1


async def test_events_fan_out_in_their_own_transaction(
    client: httpx.AsyncClient,
    db: Database,
    worker: Worker,
    tenant: Tenant,
    node_receiver: NodeReceiver,  # noqa: F811
) -> None:
    """No dispatch job between an event and its deliveries: the emitting transaction writes
    each delivery with its job (one endpoint read per assistant and transaction)."""
    hook = await register(client, tenant, node_receiver.url, events=["message.received"])
    node_receiver.configure(secret=hook["secret"])
    async with db.transaction() as s:
        a = await s.get(Assistant, tenant.assistant.id)
        assert a is not None
        await conversations.record_inbound_many(
            s,
            assistant=a,
            channel="whatsapp",
            items=[
                conversations.NewInbound(
                    type="text",
                    text=f"batch {i}",
                    content={},
                    phone=f"+23480312345{i:02d}",
                    sent_at=None,
                    trigger_ai=False,
                    external_id=f"wamid.batch{i}",
                )
                for i in range(3)
            ],
        )
    async with db.session() as s:
        kinds = sorted(await s.scalars(select(Job.kind)))
    assert kinds == ["webhooks.deliver"] * 3  # and no events.dispatch
    assert [d.status for d in await deliveries(db)] == ["pending"] * 3
    await worker.drain()
    assert [d.status for d in await deliveries(db)] == ["delivered"] * 3
    got = sorted(g["content"] for g in node_receiver.received())
    assert got == ["batch 0", "batch 1", "batch 2"]


async def test_failed_deliveries_are_retried_then_succeed(
    client: httpx.AsyncClient,
    db: Database,
    worker: Worker,
    tenant: Tenant,
    node_receiver: NodeReceiver,  # noqa: F811
) -> None:
    hook = await register(client, tenant, node_receiver.url, events=["message.received"])
    node_receiver.configure(secret=hook["secret"], failNext=2, status=503)
    await customer_writes(db, tenant.assistant, phone=CUSTOMER, text="retry me")

    async def delivered() -> bool:
        return [d.status for d in await deliveries(db)] == ["delivered"]

    await run_until(worker, delivered)
    (d,) = await deliveries(db)
    assert d.attempts == 3 and d.response_code == 200
    answers = [g["answered"] for g in node_receiver.received()]
    assert answers == [503, 503, 200]


async def test_slow_receiver_times_out_and_exhausted_retries_fail(
    client: httpx.AsyncClient,
    db: Database,
    worker: Worker,
    tenant: Tenant,
    node_receiver: NodeReceiver,  # noqa: F811
) -> None:
    hook = await register(client, tenant, node_receiver.url)
    node_receiver.configure(
        secret=hook["secret"], sleepNext=1, sleepMs=1500, failNext=6, status=500
    )
    await customer_writes(db, tenant.assistant, phone=CUSTOMER, text="nobody home")

    async def finished() -> bool:
        return [d.status for d in await deliveries(db)] == ["failed"]

    await run_until(worker, finished, timeout=20)
    (d,) = await deliveries(db)
    assert d.attempts == 6  # the first try and 5 retries
    assert d.response_code == 500 and d.last_error == "HTTP 500"


async def test_event_filter_and_delete(
    client: httpx.AsyncClient,
    db: Database,
    worker: Worker,
    tenant: Tenant,
    node_receiver: NodeReceiver,  # noqa: F811
) -> None:
    hook = await register(client, tenant, node_receiver.url, events=["message.failed"])
    await customer_writes(db, tenant.assistant, phone=CUSTOMER, text="not subscribed")
    await worker.drain()
    assert await deliveries(db) == []
    listed = (await client.get("/v1/webhooks", headers=tenant.headers())).json()
    assert [h["id"] for h in listed["data"]] == [hook["id"]] and "secret" not in listed["data"][0]
    r = await client.delete(f"/v1/webhooks/{hook['id']}", headers=tenant.headers())
    assert r.status_code == 204
    r = await client.delete(f"/v1/webhooks/{hook['id']}", headers=tenant.headers())
    assert r.status_code == 404 and r.json()["code"] == "NOT_FOUND"
    r = await client.post(
        "/v1/webhooks",
        headers=tenant.headers(),
        json={"url": node_receiver.url, "events": ["message.exploded"]},
    )
    assert r.status_code == 400 and r.json()["code"] == "VALIDATION_ERROR"


async def test_secret_is_encrypted_at_rest(
    client: httpx.AsyncClient, db: Database, tenant: Tenant
) -> None:
    hook = await register(client, tenant, "http://127.0.0.1:9/hook")
    async with db.session() as s:
        row = await s.scalar(select(WebhookEndpoint))
    assert row is not None and hook["secret"] not in row.secret_encrypted
    assert row.secret_encrypted.startswith("v1:")


@pytest.mark.parametrize(
    "url",
    [
        "http://93.184.215.14/hook",  # plain http
        "https://127.0.0.1/hook",
        "https://localhost:8443/hook",
        "https://10.1.2.3/hook",
        "https://192.168.0.10/hook",
        "https://169.254.169.254/latest/meta-data",
        "https://[::1]/hook",
        "https://[::ffff:127.0.0.1]/hook",
        "https://0.0.0.0/hook",
        "ftp://93.184.215.14/hook",
        "https://user:pw@93.184.215.14/hook",
        "not a url",
    ],
)
async def test_private_and_plain_http_urls_are_refused(
    client: httpx.AsyncClient,
    settings: Settings,
    tenant: Tenant,
    url: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(settings, "allow_private_webhooks", False)
    r = await client.post("/v1/webhooks", headers=tenant.headers(), json={"url": url})
    assert r.status_code == 400, r.text
    assert r.json()["code"] == "VALIDATION_ERROR"
    assert (await client.get("/v1/webhooks", headers=tenant.headers())).json()["data"] == []


async def test_public_https_url_is_accepted(
    client: httpx.AsyncClient, settings: Settings, tenant: Tenant, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(settings, "allow_private_webhooks", False)
    r = await client.post(
        "/v1/webhooks", headers=tenant.headers(), json={"url": "https://93.184.215.14/hook"}
    )
    assert r.status_code == 201, r.text


async def test_a_delivery_survives_a_worker_that_died_mid_way(
    client: httpx.AsyncClient,
    db: Database,
    database_url: str,
    tenant: Tenant,
    node_receiver: NodeReceiver,  # noqa: F811
) -> None:
    """The event's transaction commits the delivery with its job; a worker claims the job and
    dies before its attempt: once the lease expires, another process delivers it once."""
    hook = await register(client, tenant, node_receiver.url)
    node_receiver.configure(secret=hook["secret"])
    await customer_writes(db, tenant.assistant, phone=CUSTOMER, text="do not lose me")
    async with db.session() as s:
        (job,) = await s.scalars(select(Job).where(Job.kind == "webhooks.deliver"))
        assert job.status == JobStatus.QUEUED
        # claimed by a worker that then died; time passes and its lease expires
        job.status, job.locked_by = JobStatus.RUNNING, "worker:dead"
        job.locked_until = utcnow() - timedelta(seconds=1)
        await s.commit()
    assert node_receiver.received() == []
    # another process (its own engine) takes over
    restarted_db = Database(database_url)
    try:
        survivor = Worker(restarted_db, lease_seconds=30)
        await survivor.reap_expired()
        await survivor.drain()
    finally:
        await restarted_db.dispose()
    got = node_receiver.received()
    assert len(got) == 1 and got[0]["stringifyOk"] and got[0]["content"] == "do not lose me"
    (d,) = await deliveries(db)
    assert d.status == "delivered" and d.attempts == 1


async def test_a_webhook_name_that_rebinds_to_a_private_address_is_never_connected_to(
    client: httpx.AsyncClient,
    db: Database,
    worker: Worker,
    settings: Settings,
    tenant: Tenant,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Registered while its name resolved to a public address; at delivery it resolves to
    127.0.0.1, where something listens: the delivery fails with a clear error, unconnected."""
    from repdesk.kit import urlguard

    connections = 0

    async def count(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        nonlocal connections
        connections += 1
        writer.close()

    server = await asyncio.start_server(count, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    answers = {"now": "93.184.215.14"}

    async def resolve(host: str, port: int) -> list[str]:
        return [answers["now"]]

    monkeypatch.setattr(settings, "allow_private_webhooks", False)
    monkeypatch.setattr(urlguard, "resolver", resolve)
    async with server:
        await register(client, tenant, f"https://hooks.rebind.test:{port}/hook")
        answers["now"] = "127.0.0.1"
        await customer_writes(db, tenant.assistant, phone=CUSTOMER, text="hello")

        async def attempted() -> bool:
            return any(d.last_error for d in await deliveries(db))

        await run_until(worker, attempted)
    [delivery] = await deliveries(db)
    assert delivery.status != "delivered"
    assert "not a public address" in (delivery.last_error or "")
    assert connections == 0
