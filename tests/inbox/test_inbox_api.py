"""The inbox API: lists, search, history, manual replies, automation and close/reopen."""

from __future__ import annotations

import time
from typing import Any

import httpx
from sqlalchemy import event, select

from repdesk.assistants.models import Assistant
from repdesk.billing import service as billing
from repdesk.conversations import service as conversations
from repdesk.conversations.models import Message
from repdesk.db.engine import Database
from repdesk.jobs.worker import Worker
from tests.factories import create_assistant, signed_in
from tests.fakes.graph import FakeGraph
from tests.inbox.helpers import setup_whatsapp
from tests.whatsapp.helpers import dumps, envelope, message, sign, text


async def take_over(client: httpx.AsyncClient, conv_id: str) -> None:
    """A person takes over, so the AI engine stays out of what these tests count."""
    r = await client.patch(f"/api/conversations/{conv_id}", json={"automationEnabled": False})
    assert r.status_code == 200


async def deliver(
    db: Database, client: httpx.AsyncClient, url: str, payload: dict[str, Any]
) -> None:
    """Post a signed webhook, then run the ingest job it scheduled."""
    body = dumps(payload)
    r = await client.post(url, content=body, headers={"x-hub-signature-256": sign(body)})
    assert r.status_code == 200, r.text
    await Worker(db, kinds=["inbound.ingest"], poll_interval=0.05).drain()


async def test_list_search_and_history(
    client: httpx.AsyncClient, db: Database, graph: FakeGraph
) -> None:
    aid, url = await setup_whatsapp(client, db, graph)
    await deliver(
        db,
        client,
        url,
        envelope(
            graph,
            messages=[text("<script>alert(1)</script>", from_="2348030000001")],
            wa_id="2348030000001",
            name="Amaka",
        ),
    )
    await deliver(
        db,
        client,
        url,
        envelope(
            graph,
            messages=[
                message(
                    "location",
                    {"latitude": 6.45, "longitude": 3.39, "name": "Home"},
                    from_="2348030000002",
                )
            ],
            wa_id="2348030000002",
            name="Tunde",
        ),
    )
    page = (await client.get(f"/api/assistants/{aid}/conversations")).json()
    assert [c["customerName"] for c in page["data"]] == ["Tunde", "Amaka"]
    first = page["data"][1]
    assert first["channel"] == "whatsapp" and first["unreadCount"] == 1
    assert first["serviceWindowOpen"] is True and first["automationEnabled"] is True
    assert first["lastMessagePreview"] == "<script>alert(1)</script>"
    assert first["customerPhone"] == "+2348030000001"
    by_name = (
        await client.get(f"/api/assistants/{aid}/conversations", params={"search": "amak"})
    ).json()
    assert [c["customerName"] for c in by_name["data"]] == ["Amaka"]
    by_phone = (
        await client.get(
            f"/api/assistants/{aid}/conversations", params={"search": "+234 803 000 0002"}
        )
    ).json()
    assert [c["customerName"] for c in by_phone["data"]] == ["Tunde"]
    paged = (await client.get(f"/api/assistants/{aid}/conversations", params={"limit": 1})).json()
    assert paged["hasMore"] is True and len(paged["data"]) == 1
    rest = (
        await client.get(
            f"/api/assistants/{aid}/conversations",
            params={"limit": 1, "cursor": paged["nextCursor"]},
        )
    ).json()
    assert [c["customerName"] for c in rest["data"]] == ["Amaka"] and rest["hasMore"] is False
    msgs = (await client.get(f"/api/conversations/{page['data'][0]['id']}/messages")).json()["data"]
    assert msgs[0]["type"] == "location" and msgs[0]["text"] == "Home"
    assert msgs[0]["content"]["latitude"] == 6.45 and msgs[0]["direction"] == "in"
    assert set(msgs[0]) >= {
        "id",
        "conversationId",
        "direction",
        "type",
        "text",
        "content",
        "status",
        "createdAt",
    }
    r = await client.post(f"/api/conversations/{first['id']}/read")
    assert r.json()["unreadCount"] == 0
    bad = await client.get(f"/api/assistants/{aid}/conversations", params={"cursor": "x!y"})
    assert bad.status_code == 400


async def test_agent_reply_is_charged_and_reaches_graph(
    client: httpx.AsyncClient, db: Database, graph: FakeGraph, worker: Worker
) -> None:
    aid, url = await setup_whatsapp(client, db, graph)
    await deliver(db, client, url, envelope(graph, messages=[text("Hi, price?")]))
    conv = (await client.get(f"/api/assistants/{aid}/conversations")).json()["data"][0]
    await take_over(client, conv["id"])
    async with db.transaction() as session:
        a = await session.get(Assistant, aid)
        assert a is not None
        before = await billing.balance(session, a.workspace_id)
    r = await client.post(
        f"/api/conversations/{conv['id']}/messages", json={"text": "It is *₦5,000*"}
    )
    assert r.status_code == 201, r.text
    msg = r.json()
    assert msg["direction"] == "out" and msg["status"] == "queued" and msg["creditsCharged"] == 2
    await worker.drain()
    assert graph.sent[-1]["text"]["body"] == "It is *₦5,000*"  # a person's text goes as written
    async with db.transaction() as session:
        stored = await session.get(Message, msg["id"])
        after = await billing.balance(session, a.workspace_id)
    assert (
        stored is not None
        and stored.sender == "agent"
        and stored.author_id
        and stored.status == "sent"
    )
    assert after == before - 2
    bad = await client.post(f"/api/conversations/{conv['id']}/messages", json={"text": "  "})
    assert bad.status_code == 400 and bad.json()["code"] == "VALIDATION_ERROR"
    both = await client.post(
        f"/api/conversations/{conv['id']}/messages",
        json={"text": "x", "template": {"name": "welcome_back"}},
    )
    assert both.status_code == 400


async def test_closed_window_refuses_text_but_accepts_a_template(
    client: httpx.AsyncClient, db: Database, graph: FakeGraph, worker: Worker
) -> None:
    aid, url = await setup_whatsapp(client, db, graph)
    await worker.drain()  # templates synced on connect
    await deliver(
        db, client, url, envelope(graph, messages=[text("old", ts=int(time.time()) - 30 * 3600)])
    )
    conv = (await client.get(f"/api/assistants/{aid}/conversations")).json()["data"][0]
    await take_over(client, conv["id"])
    assert conv["serviceWindowOpen"] is False
    r = await client.post(f"/api/conversations/{conv['id']}/messages", json={"text": "hello?"})
    assert r.status_code == 400 and r.json()["code"] == "SERVICE_WINDOW_CLOSED"
    r = await client.post(
        f"/api/conversations/{conv['id']}/messages",
        json={"template": {"name": "spring_sale", "language": "en_US"}},
    )
    assert r.status_code == 400 and r.json()["code"] == "TEMPLATE_NOT_APPROVED"
    r = await client.post(
        f"/api/conversations/{conv['id']}/messages",
        json={
            "template": {
                "name": "welcome_back",
                "language": "en_US",
                "components": [{"type": "body", "parameters": [{"type": "text", "text": "Ade"}]}],
            }
        },
    )
    assert r.status_code == 201 and r.json()["creditsCharged"] == 4
    await worker.drain()
    assert graph.sent[-1]["type"] == "template" and graph.sent[-1]["template"]["language"] == {
        "code": "en_US"
    }
    async with db.transaction() as session:
        count = len(list(await session.scalars(select(Message).where(Message.direction == "out"))))
    assert count == 1


async def test_insufficient_credits_sends_nothing(
    client: httpx.AsyncClient, db: Database, graph: FakeGraph, worker: Worker
) -> None:
    aid, url = await setup_whatsapp(client, db, graph)
    await deliver(db, client, url, envelope(graph, messages=[text("hi")]))
    conv = (await client.get(f"/api/assistants/{aid}/conversations")).json()["data"][0]
    await take_over(client, conv["id"])
    for _ in range(10):  # 20 free credits = 10 texts
        assert (
            await client.post(f"/api/conversations/{conv['id']}/messages", json={"text": "x"})
        ).status_code == 201
    r = await client.post(
        f"/api/conversations/{conv['id']}/messages", json={"text": "one too many"}
    )
    assert r.status_code == 402 and r.json()["code"] == "INSUFFICIENT_CREDITS"
    await worker.drain()
    assert len(graph.sent) == 10


async def test_automation_switch_and_close_reopen(
    client: httpx.AsyncClient, db: Database, graph: FakeGraph
) -> None:
    aid, url = await setup_whatsapp(client, db, graph)
    await deliver(db, client, url, envelope(graph, messages=[text("hi")]))
    conv = (await client.get(f"/api/assistants/{aid}/conversations")).json()["data"][0]
    r = await client.patch(f"/api/conversations/{conv['id']}", json={"automationEnabled": False})
    assert r.status_code == 200 and r.json()["automationEnabled"] is False
    r = await client.patch(f"/api/conversations/{conv['id']}", json={"status": "closed"})
    assert r.json()["status"] == "closed"
    closed = (
        await client.get(f"/api/assistants/{aid}/conversations", params={"status": "closed"})
    ).json()
    assert len(closed["data"]) == 1
    assert (
        await client.patch(f"/api/conversations/{conv['id']}", json={"status": "archived"})
    ).status_code == 400
    # A customer message reopens it; automation stays off, so no AI job is queued for it.
    await deliver(db, client, url, envelope(graph, messages=[text("still there?")]))
    got = (await client.get(f"/api/conversations/{conv['id']}")).json()
    assert got["status"] == "open" and got["automationEnabled"] is False
    from repdesk.jobs.models import Job

    async with db.transaction() as session:
        ai_jobs = list(await session.scalars(select(Job).where(Job.kind == "ai.reply")))
    assert len(ai_jobs) == 1  # only for the first message


async def test_other_workspace_gets_404(
    client: httpx.AsyncClient, db: Database, graph: FakeGraph
) -> None:
    aid, url = await setup_whatsapp(client, db, graph)
    await deliver(db, client, url, envelope(graph, messages=[text("hi")]))
    conv = (await client.get(f"/api/assistants/{aid}/conversations")).json()["data"][0]
    client.cookies.clear()
    await signed_in(client, db, email="intruder@shop.test")
    assert (await client.get(f"/api/conversations/{conv['id']}")).status_code == 404
    assert (await client.get(f"/api/conversations/{conv['id']}/messages")).status_code == 404
    assert (
        await client.post(f"/api/conversations/{conv['id']}/messages", json={"text": "x"})
    ).status_code == 404
    assert (await client.get(f"/api/assistants/{aid}/conversations")).status_code == 404


async def test_widget_conversations_show_in_the_inbox(
    client: httpx.AsyncClient, db: Database
) -> None:
    account = await signed_in(client, db)
    assistant = await create_assistant(db, workspace_id=account.workspace_id, platform="widget")
    async with db.transaction() as session:
        a = await session.get(Assistant, assistant.id)
        assert a is not None
        await conversations.record_inbound(
            session,
            assistant=a,
            channel="widget",
            type="text",
            text="hello from the site",
            visitor_id="v_abc123",
            trigger_ai=False,
        )
    data = (await client.get(f"/api/assistants/{assistant.id}/conversations")).json()["data"]
    assert data[0]["channel"] == "widget" and data[0]["visitorId"] == "v_abc123"
    assert data[0]["lastMessagePreview"] == "hello from the site"


async def test_conversation_list_query_count_does_not_grow(
    client: httpx.AsyncClient, db: Database, graph: FakeGraph
) -> None:
    aid, url = await setup_whatsapp(client, db, graph)
    counts: list[int] = []
    measuring = [False]

    def count(*_: Any) -> None:
        if measuring[0]:
            counts[-1] += 1

    async def measured() -> httpx.Response:
        counts.append(0)
        measuring[0] = True
        try:
            return await client.get(f"/api/assistants/{aid}/conversations")
        finally:
            measuring[0] = False

    event.listen(db.engine.sync_engine, "before_cursor_execute", count)
    try:
        await deliver(
            db,
            client,
            url,
            envelope(graph, messages=[text("x", from_="2348030000100")], wa_id="2348030000100"),
        )
        await measured()
        for i in range(5):
            await deliver(
                db,
                client,
                url,
                envelope(
                    graph, messages=[text("x", from_=f"234803000020{i}")], wa_id=f"234803000020{i}"
                ),
            )
        r = await measured()
    finally:
        event.remove(db.engine.sync_engine, "before_cursor_execute", count)
    assert len(r.json()["data"]) == 6
    assert counts[0] == counts[1] <= 8  # auth + assistant + one list query, whatever the size


async def test_openapi_documents_the_inbox_routes(client: httpx.AsyncClient) -> None:
    paths = (await client.get("/api/openapi.json")).json()["paths"]
    for p in (
        "/api/assistants/{assistant_id}/conversations",
        "/api/conversations/{conversation_id}",
        "/api/conversations/{conversation_id}/messages",
        "/api/assistants/{assistant_id}/whatsapp/credentials",
    ):
        assert p in paths
    assert "patch" in paths["/api/conversations/{conversation_id}"]
    assert "post" in paths["/api/conversations/{conversation_id}/messages"]


async def test_stream_needs_a_login_and_an_own_assistant(
    client: httpx.AsyncClient, db: Database
) -> None:
    account = await signed_in(client, db)
    assistant = await create_assistant(db, workspace_id=account.workspace_id)
    assert (await client.get("/api/assistants/nope/inbox/stream")).status_code == 404
    client.cookies.clear()
    r = await client.get(f"/api/assistants/{assistant.id}/inbox/stream")
    assert r.status_code == 401 and r.json()["code"] == "UNAUTHORIZED"
