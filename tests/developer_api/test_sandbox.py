"""Sandbox (``rep_test_``) keys: mock sends, and no reach into the assistant's customers."""

from __future__ import annotations

import httpx
import pytest
from sqlalchemy import func, select

from repdesk.contacts.models import Contact
from repdesk.conversations.models import Conversation
from repdesk.db.engine import Database
from repdesk.developer_api.config import reset_api_settings
from repdesk.developer_api.models import WebhookEndpoint
from repdesk.jobs.worker import Worker
from tests.developer_api.conftest import Tenant, connected_tenant, customer_writes
from tests.factories import create_assistant, signed_in
from tests.fakes.graph import FakeGraph

CUSTOMER = "+2348031234567"
TEMPLATE = {"name": "welcome_back", "language": {"code": "en_US"}}


@pytest.fixture(autouse=True)
def roomy_rate_limits(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REPDESK_API_RATE_BURST", "1000/second")
    reset_api_settings()


@pytest.fixture
async def shop(db: Database, graph: FakeGraph, worker: Worker) -> Tenant:
    tenant = await connected_tenant(db, graph)
    await worker.drain()  # the template sync
    await customer_writes(db, tenant.assistant, phone=CUSTOMER, text="my address is …", name="Ade")
    return tenant


async def _counts(db: Database) -> tuple[int | None, int | None, int | None]:
    async with db.session() as s:
        return (
            await s.scalar(select(func.count()).select_from(Contact)),
            await s.scalar(
                select(func.count()).select_from(Conversation).where(Conversation.status == "open")
            ),
            await s.scalar(select(func.count()).select_from(WebhookEndpoint)),
        )


async def test_a_sandbox_key_reads_no_customer_data(
    client: httpx.AsyncClient, db: Database, shop: Tenant
) -> None:
    live, test = shop.headers(), shop.headers(sandbox=True)
    [conv] = (await client.get("/v1/conversations", headers=live)).json()["data"]
    [msg] = (await client.get("/v1/messages", headers=live)).json()["data"]
    [contact] = (await client.get("/v1/contacts", headers=live)).json()["data"]
    for path in (
        "/v1/conversations",
        "/v1/messages",
        "/v1/contacts",
        "/v1/contacts?phone=%2B" + CUSTOMER[1:],
    ):
        r = await client.get(path, headers=test)
        assert r.status_code == 200, (path, r.text)
        assert r.json() == {"data": [], "hasMore": False, "nextCursor": None}, path
    for path in (
        f"/v1/conversations/{conv['id']}",
        f"/v1/conversations/{conv['id']}/messages",
        f"/v1/messages/{msg['id']}",
        f"/v1/contacts/{contact['id']}",
    ):
        r = await client.get(path, headers=test)
        assert r.status_code == 404 and r.json()["code"] == "NOT_FOUND", path
        assert (await client.get(path, headers=live)).status_code == 200, path
    # The parameters are still checked like a live read.
    assert (await client.get("/v1/messages?limit=0", headers=test)).status_code == 400
    assert (await client.get("/v1/contacts?cursor=%21", headers=test)).status_code == 400
    # What is not a customer's: the account and the templates.
    account = await client.get("/v1/account", headers=test)
    assert account.status_code == 200 and account.json()["sandbox"] is True
    templates = (await client.get("/v1/templates", headers=test)).json()["data"]
    assert {t["name"] for t in templates} >= {"welcome_back"}


async def test_a_sandbox_key_changes_no_customer_data(
    client: httpx.AsyncClient, db: Database, shop: Tenant
) -> None:
    live, test = shop.headers(), shop.headers(sandbox=True)
    [conv] = (await client.get("/v1/conversations", headers=live)).json()["data"]
    [contact] = (await client.get("/v1/contacts", headers=live)).json()["data"]
    before = await _counts(db)
    r = await client.post(f"/v1/conversations/{conv['id']}/close", headers=test)
    assert r.status_code == 404
    r = await client.patch(f"/v1/contacts/{contact['id']}", headers=test, json={"name": "Hacked"})
    assert r.status_code == 404
    r = await client.delete(f"/v1/contacts/{contact['id']}", headers=test)
    assert r.status_code == 404
    # A new contact is validated and answered like live, and not stored.
    r = await client.post(
        "/v1/contacts",
        headers=test,
        json={"phone": "+2348035550000", "name": "Test", "tags": ["vip"]},
    )
    assert r.status_code == 201, r.text
    assert r.json()["phone"] == "+2348035550000" and r.json()["tags"] == ["vip"] and r.json()["id"]
    # Even the live customer's number: no CONFLICT that would say the customer exists.
    assert (
        await client.post("/v1/contacts", headers=test, json={"phone": CUSTOMER})
    ).status_code == 201
    bad = await client.post("/v1/contacts", headers=test, json={"phone": "08031234567"})
    assert bad.status_code == 400 and bad.json()["code"] == "INVALID_PHONE_NUMBER"
    assert await _counts(db) == before
    after = (await client.get(f"/v1/contacts/{contact['id']}", headers=live)).json()
    assert after["name"] == "Ade"


async def test_webhooks_need_a_live_key(
    client: httpx.AsyncClient, db: Database, shop: Tenant
) -> None:
    test = shop.headers(sandbox=True)
    for method, path, body in (
        ("GET", "/v1/webhooks", None),
        ("POST", "/v1/webhooks", {"url": "https://hooks.example.com/repdesk"}),
        ("DELETE", "/v1/webhooks/whk_none", None),
    ):
        r = await client.request(method, path, headers=test, json=body)
        assert r.status_code == 403, (method, r.text)
        assert r.json()["code"] == "SANDBOX_NOT_ALLOWED" and "live key" in r.json()["message"]
    async with db.session() as s:
        assert await s.scalar(select(func.count()).select_from(WebhookEndpoint)) == 0
    assert (await client.get("/v1/webhooks", headers=shop.headers())).status_code == 200


async def test_sandbox_keys_read_only_sandbox_broadcasts(
    client: httpx.AsyncClient, db: Database, shop: Tenant
) -> None:
    body = {"type": "template", "template": TEMPLATE, "recipients": [CUSTOMER]}
    live = await client.post("/v1/broadcast", headers=shop.headers(), json=body)
    sandbox = await client.post("/v1/broadcast", headers=shop.headers(sandbox=True), json=body)
    assert live.status_code == sandbox.status_code == 202
    test = shop.headers(sandbox=True)
    r = await client.get(f"/v1/broadcast/{live.json()['broadcastId']}", headers=test)
    assert r.status_code == 404
    r = await client.get(f"/v1/broadcast/{sandbox.json()['broadcastId']}", headers=test)
    assert r.status_code == 200 and r.json()["sandbox"] is True


async def test_the_rules_are_on_the_developer_page_and_in_the_reference(
    client: httpx.AsyncClient, db: Database, graph: FakeGraph
) -> None:
    account = await signed_in(client, db)
    assistant = await create_assistant(db, workspace_id=account.workspace_id)
    page = await client.get(f"/assistants/{assistant.id}/developer")
    assert page.status_code == 200 and 'data-testid="sandbox-rules"' in page.text
    assert "SANDBOX_NOT_ALLOWED" in page.text and "empty lists" in page.text
    doc = (await client.get("/v1/openapi.json")).json()
    assert "SANDBOX_NOT_ALLOWED" in doc["info"]["description"]
    assert "never see or change" in doc["info"]["description"]
    assert "403" in doc["paths"]["/webhooks"]["post"]["responses"]
