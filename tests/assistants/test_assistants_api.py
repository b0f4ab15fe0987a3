from __future__ import annotations

import httpx
from sqlalchemy import func, select

from repdesk.assistants.models import Assistant
from repdesk.config import Settings
from repdesk.contacts.models import Contact
from repdesk.conversations import service as conversations
from repdesk.conversations.models import Conversation, Message
from repdesk.db.engine import Database
from tests.factories import signed_in


async def test_create_list_rename_delete(client: httpx.AsyncClient, db: Database) -> None:
    await signed_in(client, db)
    r = await client.post(
        "/api/assistants", json={"name": "Sales", "platform": "whatsapp", "purpose": "sales"}
    )
    assert r.status_code == 201
    created = r.json()
    assert created["platform"] == "whatsapp" and created["purpose"] == "sales"
    r = await client.post("/api/assistants", json={"name": "Site chat", "platform": "widget"})
    assert r.status_code == 201

    listing = (await client.get("/api/assistants")).json()
    assert [a["name"] for a in listing["data"]] == ["Site chat", "Sales"]
    assert listing["hasMore"] is False and listing["nextCursor"] is None

    r = await client.patch(f"/api/assistants/{created['id']}", json={"name": "WhatsApp sales"})
    assert r.status_code == 200 and r.json()["name"] == "WhatsApp sales"
    assert r.json()["purpose"] == "sales"

    assert (await client.delete(f"/api/assistants/{created['id']}")).status_code == 204
    assert (await client.get(f"/api/assistants/{created['id']}")).status_code == 404


async def test_pagination_with_limit_and_cursor(client: httpx.AsyncClient, db: Database) -> None:
    await signed_in(client, db)
    for i in range(5):
        assert (
            await client.post("/api/assistants", json={"name": f"A{i}", "platform": "widget"})
        ).status_code == 201
    first = (await client.get("/api/assistants", params={"limit": 2})).json()
    assert len(first["data"]) == 2 and first["hasMore"] is True
    second = (
        await client.get("/api/assistants", params={"limit": 2, "cursor": first["nextCursor"]})
    ).json()
    third = (
        await client.get("/api/assistants", params={"limit": 2, "cursor": second["nextCursor"]})
    ).json()
    names = [a["name"] for page in (first, second, third) for a in page["data"]]
    assert names == ["A4", "A3", "A2", "A1", "A0"]
    assert third["hasMore"] is False
    for bad in ({"limit": 0}, {"limit": 101}, {"cursor": "../etc"}):
        r = await client.get("/api/assistants", params=bad)
        assert r.status_code == 400 and r.json()["code"] == "VALIDATION_ERROR"


async def test_bad_bodies_are_validation_errors(client: httpx.AsyncClient, db: Database) -> None:
    await signed_in(client, db)
    for body in (
        {"name": "x", "platform": "telegram"},
        {"name": "", "platform": "widget"},
        {"platform": "widget"},
        {"name": "x", "platform": "widget", "purpose": "spam"},
        {"name": "x" * 121, "platform": "widget"},
    ):
        r = await client.post("/api/assistants", json=body)
        assert r.status_code == 400, body
        assert r.json()["code"] == "VALIDATION_ERROR"
    async with db.session() as s:
        assert await s.scalar(select(func.count()).select_from(Assistant)) == 0


async def test_the_101st_assistant_is_refused(
    client: httpx.AsyncClient, db: Database, settings: Settings
) -> None:
    settings.max_assistants = 3
    await signed_in(client, db)
    for i in range(3):
        assert (
            await client.post("/api/assistants", json={"name": f"A{i}", "platform": "widget"})
        ).status_code == 201
    r = await client.post("/api/assistants", json={"name": "one too many", "platform": "widget"})
    assert r.status_code == 400
    assert r.json()["code"] == "ASSISTANT_LIMIT_REACHED"
    assert "up to 3 assistants" in r.json()["message"]


async def test_other_workspaces_cannot_see_or_touch_an_assistant(db: Database, app) -> None:  # type: ignore[no-untyped-def]
    transport = httpx.ASGITransport(app=app)
    async with (
        httpx.AsyncClient(transport=transport, base_url="http://testserver") as alice,
        httpx.AsyncClient(transport=transport, base_url="http://testserver") as bob,
    ):
        await signed_in(alice, db, email="alice@shop.example")
        await signed_in(bob, db, email="bob@shop.example", business_name="Bob's")
        a = (
            await alice.post("/api/assistants", json={"name": "Mine", "platform": "widget"})
        ).json()
        assert (await bob.get(f"/api/assistants/{a['id']}")).status_code == 404
        assert (
            await bob.patch(f"/api/assistants/{a['id']}", json={"name": "stolen"})
        ).status_code == 404
        assert (await bob.delete(f"/api/assistants/{a['id']}")).status_code == 404
        assert (await bob.get("/api/assistants")).json()["data"] == []
        assert (await alice.get(f"/api/assistants/{a['id']}")).json()["name"] == "Mine"


async def test_deleting_an_assistant_removes_its_conversations_and_contacts(
    client: httpx.AsyncClient, db: Database
) -> None:
    await signed_in(client, db)
    a = (await client.post("/api/assistants", json={"name": "Sales", "platform": "widget"})).json()
    async with db.transaction() as s:
        assistant = await s.get(Assistant, a["id"])
        assert assistant is not None
        await conversations.record_inbound(
            s,
            assistant=assistant,
            channel="widget",
            type="text",
            text="hello",
            visitor_id="v1",
            external_id="w-1",
            trigger_ai=False,
        )
    assert (await client.delete(f"/api/assistants/{a['id']}")).status_code == 204
    async with db.session() as s:
        for model in (Conversation, Message, Contact):
            assert await s.scalar(select(func.count()).select_from(model)) == 0
