"""POST /v1/messages/send through the real WhatsApp sender against the fake Graph API."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import httpx
import pytest
from sqlalchemy import func, select, update

from repdesk.billing.models import LedgerEntry
from repdesk.conversations.models import Conversation, Message
from repdesk.db.engine import Database
from repdesk.developer_api.config import reset_api_settings
from repdesk.developer_api.models import ApiKey
from repdesk.developer_api.schemas import ResumeSendsJob
from repdesk.developer_api.service import hash_key
from repdesk.jobs.models import Job
from repdesk.jobs.service import enqueue
from repdesk.jobs.worker import Worker
from repdesk.kit.time import utcnow
from tests.conversations.helpers import send_as
from tests.developer_api.conftest import Tenant, balance, connected_tenant, customer_writes
from tests.fakes.graph import FakeGraph

CUSTOMER = "+2348031234567"


@pytest.fixture
async def shop(db: Database, graph: FakeGraph, worker: Worker) -> Tenant:
    tenant = await connected_tenant(db, graph)
    await worker.drain()  # template sync
    return tenant


def text(to: str = CUSTOMER, body: str = "Hello from the 247Rep API!") -> dict:
    return {"to": to, "type": "text", "text": {"body": body}}


async def test_text_in_open_window_is_sent_and_charged_as_the_seed_shows(
    client: httpx.AsyncClient,
    db: Database,
    graph: FakeGraph,
    shop: Tenant,
) -> None:
    await customer_writes(db, shop.assistant, phone=CUSTOMER, text="hi", name="Ade")
    r = await client.post("/v1/messages/send", headers=shop.headers(), json=text())
    assert r.status_code == 200, r.text
    body = r.json()
    assert set(body) == {
        "messageId",
        "whatsappMessageId",
        "status",
        "creditsUsed",
        "creditsRemaining",
    }
    assert body["status"] == "sent" and body["creditsUsed"] == 2 and body["creditsRemaining"] == 18
    assert body["whatsappMessageId"].startswith("wamid.")
    assert len(graph.sent) == 1 and graph.sent[0]["to"].lstrip("+") == CUSTOMER.lstrip("+")
    assert graph.sent[0]["text"]["body"] == "Hello from the 247Rep API!"
    r = await client.get(f"/v1/messages/{body['messageId']}", headers=shop.headers())
    assert r.json()["sender"] == "api" and r.json()["status"] == "sent"
    assert r.json()["externalId"] == body["whatsappMessageId"]


async def test_free_form_needs_an_open_window(
    client: httpx.AsyncClient,
    db: Database,
    graph: FakeGraph,
    shop: Tenant,
) -> None:
    r = await client.post("/v1/messages/send", headers=shop.headers(), json=text("+2348099999999"))
    assert r.status_code == 400 and r.json()["code"] == "SERVICE_WINDOW_CLOSED"
    await customer_writes(
        db, shop.assistant, phone=CUSTOMER, text="old", sent_at=utcnow() - timedelta(hours=25)
    )
    r = await client.post("/v1/messages/send", headers=shop.headers(), json=text())
    assert r.status_code == 400 and r.json()["code"] == "SERVICE_WINDOW_CLOSED"
    for sandbox in (True, False):
        r = await client.post(
            "/v1/messages/send", headers=shop.headers(sandbox=sandbox), json=text()
        )
        assert r.json()["code"] == "SERVICE_WINDOW_CLOSED"
    assert graph.sent == [] and await balance(db, shop.workspace_id) == 20


async def test_template_to_a_new_number_and_template_rules(
    client: httpx.AsyncClient,
    db: Database,
    graph: FakeGraph,
    shop: Tenant,
) -> None:
    tpl = {
        "to": "+2348055555555",
        "type": "template",
        "template": {
            "name": "order_confirmation",
            "language": {"code": "en_US"},
            "components": [
                {
                    "type": "body",
                    "parameters": [
                        {"type": "text", "text": "Ade"},
                        {"type": "text", "text": "#42"},
                    ],
                }
            ],
        },
    }
    r = await client.post("/v1/messages/send", headers=shop.headers(), json=tpl)
    assert r.status_code == 200, r.text
    assert r.json()["creditsUsed"] == 4 and r.json()["creditsRemaining"] == 16
    assert graph.sent[-1]["template"]["name"] == "order_confirmation"
    tpl["template"]["language"] = "en_US"  # a plain code string works too
    assert (
        await client.post("/v1/messages/send", headers=shop.headers(), json=tpl)
    ).status_code == 200

    for name in ("spring_sale", "no_such_template"):
        bad = {**tpl, "template": {"name": name, "language": "en_US"}}
        for sandbox in (False, True):
            r = await client.post(
                "/v1/messages/send", headers=shop.headers(sandbox=sandbox), json=bad
            )
            assert r.status_code == 400 and r.json()["code"] == "TEMPLATE_NOT_APPROVED", r.text
    assert len(graph.sent) == 2 and await balance(db, shop.workspace_id) == 12

    r = await client.get("/v1/templates", headers=shop.headers())
    listed = {t["name"]: t for t in r.json()["data"]}
    assert listed["order_confirmation"]["status"] == "APPROVED"
    assert listed["spring_sale"]["status"] == "PENDING"
    assert listed["welcome_back"]["category"] == "UTILITY"
    assert listed["welcome_back"]["components"][0]["type"] == "BODY"


async def test_invalid_bodies_and_phone_numbers_are_400(
    client: httpx.AsyncClient,
    db: Database,
    graph: FakeGraph,
    shop: Tenant,
) -> None:
    await customer_writes(db, shop.assistant, phone=CUSTOMER, text="hi")
    for to in ("08031234567", "2348031234567", "+999123", "+234 abc", "", "+1"):
        r = await client.post("/v1/messages/send", headers=shop.headers(), json=text(to=to))
        assert r.status_code == 400 and r.json()["code"] == "INVALID_PHONE_NUMBER", to
    bad_bodies = [
        {"to": CUSTOMER, "type": "text"},
        {"to": CUSTOMER, "type": "fax", "text": {"body": "x"}},
        {"to": CUSTOMER, "type": "text", "text": {"body": ""}},
        {
            "to": CUSTOMER,
            "type": "text",
            "text": {"body": "x"},
            "image": {"link": "https://a/b.png"},
        },
        {"to": CUSTOMER, "type": "text", "text": {"body": "x"}, "surprise": 1},
        {"to": CUSTOMER, "type": "image", "image": {"caption": "no source"}},
        {"type": "text", "text": {"body": "x"}},
    ]
    for body in bad_bodies:
        r = await client.post("/v1/messages/send", headers=shop.headers(), json=body)
        assert r.status_code == 400 and r.json()["code"] == "VALIDATION_ERROR", body
        assert set(r.json()) == {"code", "message", "docs"}
    r = await client.post(
        "/v1/messages/send",
        headers={**shop.headers(), "Content-Type": "application/json"},
        content=b"{not json",
    )
    assert r.status_code == 400 and r.json()["code"] == "VALIDATION_ERROR"
    assert graph.sent == [] and await balance(db, shop.workspace_id) == 20


async def test_insufficient_credits_is_402_and_nothing_is_stored(
    client: httpx.AsyncClient,
    db: Database,
    graph: FakeGraph,
    worker: Worker,
) -> None:
    shop = await connected_tenant(db, graph, credits=1)
    await customer_writes(db, shop.assistant, phone=CUSTOMER, text="hi")
    r = await client.post("/v1/messages/send", headers=shop.headers(), json=text())
    assert r.status_code == 402 and r.json()["code"] == "INSUFFICIENT_CREDITS"
    async with db.session() as s:
        assert (
            await s.scalar(
                select(func.count()).select_from(Message).where(Message.direction == "out")
            )
            == 0
        )
        # the conversation's counters and the ledger are untouched too (on PostgreSQL the
        # counters, the charge and the message are one statement)
        conv = await s.scalar(select(Conversation))
        assert conv is not None
        assert (conv.message_count, conv.last_message_preview) == (1, "hi")
        assert (
            await s.scalar(
                select(func.count()).select_from(LedgerEntry).where(LedgerEntry.kind == "usage")
            )
            == 0
        )
    assert await balance(db, shop.workspace_id) == 1
    # the sandbox does not need credits
    r = await client.post("/v1/messages/send", headers=shop.headers(sandbox=True), json=text())
    assert (
        r.status_code == 200 and r.json()["creditsUsed"] == 0 and r.json()["creditsRemaining"] == 1
    )
    assert graph.sent == []


async def test_meta_refusal_is_502_and_refunded(
    client: httpx.AsyncClient,
    db: Database,
    graph: FakeGraph,
    shop: Tenant,
    worker: Worker,
) -> None:
    await customer_writes(db, shop.assistant, phone=CUSTOMER, text="hi")
    graph.fail_next(code=131026, status=400, message="(#131026) Message undeliverable")
    r = await client.post("/v1/messages/send", headers=shop.headers(), json=text())
    assert r.status_code == 502 and r.json()["code"] == "META_API_ERROR", r.text
    assert await balance(db, shop.workspace_id) == 20


async def test_meta_outage_is_502_refunded_and_never_sent_later(
    client: httpx.AsyncClient,
    db: Database,
    graph: FakeGraph,
    shop: Tenant,
    worker: Worker,
) -> None:
    await customer_writes(db, shop.assistant, phone=CUSTOMER, text="hi")
    graph.fail_next(code=1, status=500, message="(#1) An unknown error occurred", times=1)
    r = await client.post("/v1/messages/send", headers=shop.headers(), json=text())
    assert r.status_code == 502 and r.json()["code"] == "META_API_ERROR", r.text
    assert await balance(db, shop.workspace_id) == 20
    async with db.session() as s:
        assert (
            await s.scalar(select(func.count()).select_from(Job).where(Job.kind == "channel.send"))
            == 0
        )
        msg = await s.scalar(select(Message).where(Message.direction == "out"))
        assert msg is not None and msg.status == "failed"
    await worker.drain()
    assert graph.sent == []


async def test_idempotency_key_sends_once(
    client: httpx.AsyncClient,
    db: Database,
    graph: FakeGraph,
    shop: Tenant,
) -> None:
    await customer_writes(db, shop.assistant, phone=CUSTOMER, text="hi")
    headers = {**shop.headers(), "Idempotency-Key": "order-42-confirmation"}
    first = await client.post("/v1/messages/send", headers=headers, json=text())
    second = await client.post("/v1/messages/send", headers=headers, json=text())
    assert first.status_code == second.status_code == 200
    assert first.json()["messageId"] == second.json()["messageId"]
    assert len(graph.sent) == 1 and await balance(db, shop.workspace_id) == 18
    other = await client.post(
        "/v1/messages/send", headers={**shop.headers(), "Idempotency-Key": "other"}, json=text()
    )
    assert other.json()["messageId"] != first.json()["messageId"] and len(graph.sent) == 2


async def test_sandbox_validates_like_live_but_sends_and_charges_nothing(
    client: httpx.AsyncClient,
    db: Database,
    graph: FakeGraph,
    shop: Tenant,
) -> None:
    await customer_writes(db, shop.assistant, phone=CUSTOMER, text="hi")
    r = await client.post("/v1/messages/send", headers=shop.headers(sandbox=True), json=text())
    assert r.status_code == 200, r.text
    assert set(r.json()) == {
        "messageId",
        "whatsappMessageId",
        "status",
        "creditsUsed",
        "creditsRemaining",
    }
    assert r.json()["creditsUsed"] == 0 and r.json()["creditsRemaining"] == 20
    r = await client.post(
        "/v1/messages/send",
        headers=shop.headers(sandbox=True),
        json={
            "to": "+2348077777777",
            "type": "template",
            "template": {"name": "welcome_back", "language": "en_US"},
        },
    )
    assert r.status_code == 200
    assert graph.sent == [] and await balance(db, shop.workspace_id) == 20
    async with db.session() as s:
        assert (
            await s.scalar(
                select(func.count()).select_from(Message).where(Message.direction == "out")
            )
            == 0
        )
        # the only thing a sandbox send writes: when its key was last used
        used = await s.scalar(
            select(ApiKey.last_used_at).where(ApiKey.key_hash == hash_key(shop.test_key))
        )
        assert used is not None


async def test_a_text_with_a_nul_character_is_a_400_before_anything_is_charged_or_sent(
    client: httpx.AsyncClient, db: Database, graph: FakeGraph, shop: Tenant
) -> None:
    await customer_writes(db, shop.assistant, phone=CUSTOMER, text="hi")
    before = await balance(db, shop.workspace_id)
    r = await client.post(
        "/v1/messages/send",
        content=b'{"to": "%s", "type": "text", "text": {"body": "hi\\u0000"}}' % CUSTOMER.encode(),
        headers={**shop.headers(), "Content-Type": "application/json"},
    )
    assert r.status_code == 400 and r.json()["code"] == "VALIDATION_ERROR", (r.text, graph.sent)
    assert graph.sent == [] and await balance(db, shop.workspace_id) == before
    async with db.session() as s:
        out = select(func.count()).select_from(Message).where(Message.direction == "out")
        assert await s.scalar(out) == 0


async def test_100_concurrent_sends_with_credits_for_15(
    client: httpx.AsyncClient,
    db: Database,
    graph: FakeGraph,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("REPDESK_API_RATE_BURST", "1000/second")
    monkeypatch.setenv("REPDESK_API_RATE_SEND", "1000/minute")
    reset_api_settings()
    shop = await connected_tenant(db, graph, credits=30)
    await customer_writes(db, shop.assistant, phone=CUSTOMER, text="hi")

    async def one(i: int) -> int:
        r = await client.post("/v1/messages/send", headers=shop.headers(), json=text(body=f"#{i}"))
        return r.status_code

    codes = await asyncio.gather(*(one(i) for i in range(100)))
    assert codes.count(200) == 15, codes
    assert codes.count(402) == 85
    assert await balance(db, shop.workspace_id) == 0
    assert len(graph.sent) == 15
    async with db.session() as s:
        usage = (
            await s.execute(
                select(LedgerEntry.amount, LedgerEntry.balance_after).where(
                    LedgerEntry.kind == "usage"
                )
            )
        ).all()
        # one entry per message sent, each saying the balance after it, down to 0
        assert sorted(usage, key=lambda u: -u[1]) == [(-2, 30 - 2 * (i + 1)) for i in range(15)]
        conv = await s.scalar(select(Conversation))
        assert conv is not None and conv.message_count == 1 + 15


@pytest.mark.postgres_only
async def test_the_status_write_without_a_transaction_leaves_no_pooled_connection_autocommit(
    client: httpx.AsyncClient, db: Database, graph: FakeGraph, shop: Tenant
) -> None:
    """A live send records "sent" outside a transaction (one statement); the connection it used
    goes back to the pool transactional again, or later units of work would not be atomic."""
    await customer_writes(db, shop.assistant, phone=CUSTOMER, text="hi")
    for i in range(3):
        r = await client.post("/v1/messages/send", headers=shop.headers(), json=text(body=f"{i}"))
        assert r.status_code == 200, r.text
    connections = [await db.engine.connect() for _ in range(8)]  # the pool's, and new ones
    try:
        for conn in connections:
            raw = await conn.get_raw_connection()
            assert raw.dbapi_connection is not None
            assert raw.dbapi_connection.autocommit is False
        # and a unit of work on them rolls back as one
        async with db.session() as s:
            await s.execute(update(Conversation).values(message_count=999))
            await s.rollback()
            assert await s.scalar(select(Conversation.message_count)) == 1 + 3
    finally:
        for conn in connections:
            await conn.close()


async def test_a_send_whose_request_died_after_commit_is_sent_once_by_a_worker(
    db: Database, graph: FakeGraph, worker: Worker, shop: Tenant
) -> None:
    """The request stores its message as ``sending`` and sends it itself. If it dies after that
    commit, the message waits out the longest a request can take; then the periodic sweep hands
    it to the send job, which sends it once."""
    from repdesk.conversations import service as conversations
    from repdesk.developer_api.schemas import SendRequest
    from repdesk.developer_api.sending import SEND_LEASE_SECONDS

    inbound = await customer_writes(db, shop.assistant, phone=CUSTOMER, text="hi")
    await worker.drain()  # the customer message's own jobs
    # What a request commits before it sends; then it "dies".
    async with db.transaction() as s:
        c = await conversations.get_conversation(s, inbound.conversation.id)
        assert c is not None
        message = await send_as(
            s,
            conversation=c,
            outbound=SendRequest.model_validate(text()).outbound(),
            sender="api",
            delivery=conversations.Delivery.NOW,
        )
        message_id = message.id

    async def sweep() -> None:
        async with db.transaction() as s:
            await enqueue(s, ResumeSendsJob())
        await worker.drain()

    await sweep()  # too early: the request might still be sending it
    assert graph.sent == []
    async with db.transaction() as s:  # time passes
        m = await s.get(Message, message_id)
        assert m is not None and m.status == "sending"
        m.created_at = utcnow() - timedelta(seconds=SEND_LEASE_SECONDS + 1)
    await sweep()
    await sweep()  # a second sweep finds nothing left to resume
    async with db.session() as s:
        sent = await s.get(Message, message_id)
        assert sent is not None and sent.status == "sent" and sent.external_id
    assert len(graph.sent) == 1
