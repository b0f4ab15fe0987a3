"""The one list of domain events (repdesk.events.types): emit takes only listed events with their
typed data, and the domains emit what the list promises."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest

from repdesk.conversations import service as conversations
from repdesk.conversations.models import Conversation
from repdesk.db.engine import Database
from repdesk.events.service import emit, on_event, workspace_topic
from repdesk.events.types import EVENTS, WEBHOOK_EVENTS, ContactTagData, Event, matching
from repdesk.jobs.worker import Worker
from tests.developer_api.conftest import connected_tenant, customer_writes, make_tenant
from tests.fakes.graph import FakeGraph


def drain(sub: Any) -> list[dict[str, Any]]:
    out = []
    while not sub.queue.empty():
        out.append(sub.queue.get_nowait())
    return out


def test_every_event_has_a_data_model_and_webhook_events_are_the_seeds() -> None:
    assert set(EVENTS) == set(Event)
    assert [e.value for e in WEBHOOK_EVENTS] == [
        "message.received",
        "message.sent",
        "message.delivered",
        "message.read",
        "message.failed",
    ]
    assert matching("message.*") and all(
        e.value.startswith("message.") for e in matching("message.*")
    )


def test_a_consumer_of_an_event_that_does_not_exist_fails_at_registration() -> None:
    with pytest.raises(ValueError, match="matches no event"):
        on_event("mesage.recieved")(lambda s, e: None)  # type: ignore[arg-type,return-value]


async def test_emit_refuses_data_of_the_wrong_shape(db: Database) -> None:
    async with db.session() as s:
        with pytest.raises(TypeError, match="carries ContactTagData"):
            await emit(s, Event.CONTACT_TAGGED, {"tag": "vip"}, workspace_id="w")  # type: ignore[arg-type]
        with pytest.raises(TypeError):
            await emit(
                s,
                Event.ORDER_PAID,
                ContactTagData(contact_id="c", tag="vip"),
                workspace_id="w",
            )


async def test_first_message_emits_contact_created_and_conversation_opened(
    app: Any, db: Database
) -> None:
    tenant = await make_tenant(db)
    async with app.state.bus.subscribe(workspace_topic(tenant.workspace_id)) as sub:
        await customer_writes(db, tenant.assistant, phone="+2348012345678", text="hi", name="Ada")
        await customer_writes(db, tenant.assistant, phone="+2348012345678", text="again")
        names = [f["event"] for f in drain(sub)]
    assert names.count("contact.created") == 1
    assert names.count("conversation.opened") == 1
    assert names.count("message.received") == 2
    assert names.index("contact.created") < names.index("conversation.opened")


async def test_close_reopen_and_handoff_have_their_own_events(app: Any, db: Database) -> None:
    tenant = await make_tenant(db)
    inbound = await customer_writes(db, tenant.assistant, phone="+2348012345679", text="hello")
    async with app.state.bus.subscribe(workspace_topic(tenant.workspace_id)) as sub:
        async with db.transaction() as s:
            conv = await s.get(Conversation, inbound.conversation.id)
            assert conv is not None
            await conversations.set_status(s, conv, "closed")
            await conversations.set_status(s, conv, "closed")  # no change: no event
            await conversations.set_status(s, conv, "open")
            await conversations.request_human(s, conv, "asked for a person")
        frames = drain(sub)
    assert [f["event"] for f in frames] == [
        "conversation.closed",
        "conversation.opened",
        "conversation.handed_off",
    ]
    handoff = frames[-1]["data"]
    assert handoff["needsHuman"] is True and handoff["handoffReason"] == "asked for a person"
    assert handoff["contactId"] == inbound.contact.id


async def test_tag_changes_through_the_api_emit_tagged_and_untagged(
    app: Any, client: httpx.AsyncClient, db: Database
) -> None:
    tenant = await make_tenant(db)
    h = tenant.headers()
    created = await client.post(
        "/v1/contacts", json={"phone": "+2348011111111", "tags": ["lead"]}, headers=h
    )
    assert created.status_code == 201, created.text
    cid = created.json()["id"]
    async with app.state.bus.subscribe(workspace_topic(tenant.workspace_id)) as sub:
        r = await client.patch(f"/v1/contacts/{cid}", json={"tags": ["vip", "paid"]}, headers=h)
        assert r.status_code == 200, r.text
        frames = drain(sub)
    got = sorted((f["event"], f["data"].get("tag")) for f in frames if "tag" in f["data"])
    assert got == [
        ("contact.tagged", "paid"),
        ("contact.tagged", "vip"),
        ("contact.untagged", "lead"),
    ]
    updated = [f for f in frames if f["event"] == "contact.updated"]
    assert len(updated) == 1 and updated[0]["data"]["tags"] == ["vip", "paid"]


async def test_a_finished_broadcast_emits_broadcast_completed_with_its_counts(
    app: Any, client: httpx.AsyncClient, db: Database, graph: FakeGraph, worker: Worker
) -> None:
    tenant = await connected_tenant(db, graph)
    await worker.drain()
    await customer_writes(db, tenant.assistant, phone="+2348031110001", text="hi")
    async with app.state.bus.subscribe(workspace_topic(tenant.workspace_id)) as sub:
        r = await client.post(
            "/v1/broadcast",
            headers=tenant.headers(),
            json={
                "type": "text",
                "text": {"body": "New stock today"},
                "recipients": ["+2348031110001", "+2348031110009"],
            },
        )
        assert r.status_code == 202, r.text
        done: list[dict[str, Any]] = []
        for _ in range(200):
            await worker.drain()
            done += [f for f in drain(sub) if f["event"] == "broadcast.completed"]
            if done:
                break
            await asyncio.sleep(0.03)
    assert len(done) == 1, "broadcast.completed was not emitted once"
    data = done[0]["data"]
    assert data["id"] == r.json()["broadcastId"] and data["status"] == "completed"
    assert data["counts"]["skipped"] == 1  # the number whose window is closed
    assert data["counts"]["queued"] + data["counts"]["sent"] == 1


async def test_a_customer_writing_to_a_closed_conversation_reopens_it(
    app: Any, db: Database
) -> None:
    tenant = await make_tenant(db)
    inbound = await customer_writes(db, tenant.assistant, phone="+2348012340000", text="hello")
    async with db.transaction() as s:
        conv = await s.get(Conversation, inbound.conversation.id)
        assert conv is not None
        await conversations.set_status(s, conv, "closed")
    async with app.state.bus.subscribe(workspace_topic(tenant.workspace_id)) as sub:
        await customer_writes(db, tenant.assistant, phone="+2348012340000", text="me again")
        names = [f["event"] for f in drain(sub)]
    assert names == ["conversation.opened", "message.received"]
