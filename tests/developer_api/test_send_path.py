"""The Developer API's send and broadcasts go through ``conversations.send``: what they store
carries their origin, and the channel is reached through its registered sender (the API used
to call the WhatsApp sender itself)."""

from __future__ import annotations

import httpx
from sqlalchemy import select

from repdesk.conversations.models import Message
from repdesk.db.engine import Database
from repdesk.jobs.worker import Worker
from tests.conversations.helpers import recording
from tests.developer_api.conftest import Tenant, connected_tenant, customer_writes
from tests.developer_api.test_broadcasts import TEMPLATE, finish
from tests.fakes.graph import FakeGraph

CUSTOMER, NEW = "+2348031234567", "+2348031110009"


async def test_an_api_send_goes_through_the_one_send_path(
    client: httpx.AsyncClient, db: Database, graph: FakeGraph, worker: Worker
) -> None:
    shop: Tenant = await connected_tenant(db, graph)
    await worker.drain()  # template sync
    await customer_writes(db, shop.assistant, phone=CUSTOMER, text="hi")
    with recording("whatsapp") as whatsapp:
        r = await client.post(
            "/v1/messages/send",
            headers=shop.headers(),
            json={"to": CUSTOMER, "type": "text", "text": {"body": "Your order shipped"}},
        )
        assert r.status_code == 200, r.text
        started = await client.post(
            "/v1/messages/send",
            headers=shop.headers(),
            json={"to": NEW, "type": "template", "template": TEMPLATE},
        )
        assert started.status_code == 200, started.text
    assert [(seen.sender, seen.text) for seen in whatsapp.seen] == [
        ("api", "Your order shipped"),
        ("api", "[template: welcome_back]"),
    ]
    assert [seen.message_id for seen in whatsapp.seen] == [
        r.json()["messageId"],
        started.json()["messageId"],
    ]
    assert len(graph.sent) == 2  # the real sender still sent them
    async with db.session() as s:
        stored = list(await s.scalars(select(Message).where(Message.direction == "out")))
    assert {(m.sender, m.status) for m in stored} == {("api", "sent")}


async def test_a_broadcast_goes_through_the_one_send_path(
    client: httpx.AsyncClient, db: Database, graph: FakeGraph, worker: Worker
) -> None:
    shop: Tenant = await connected_tenant(db, graph)
    await worker.drain()
    await customer_writes(db, shop.assistant, phone=CUSTOMER, text="hi")
    with recording("whatsapp") as whatsapp:
        r = await client.post(
            "/v1/broadcast",
            headers=shop.headers(),
            json={"type": "template", "template": TEMPLATE, "recipients": [CUSTOMER, NEW]},
        )
        assert r.status_code == 202, r.text
        done = await finish(client, worker, shop, r.json()["broadcastId"])
    assert done["progress"]["sent"] == 2
    assert sorted(seen.sender for seen in whatsapp.seen) == ["broadcast", "broadcast"]
    async with db.session() as s:
        stored = list(await s.scalars(select(Message).where(Message.direction == "out")))
    by_recipient = {p["messageId"] for p in done["recipients"]}
    assert {m.id for m in stored} == by_recipient == {seen.message_id for seen in whatsapp.seen}
    assert all(
        m.sender == "broadcast" and (m.idempotency_key or "").startswith("broadcast:")
        for m in stored
    )
