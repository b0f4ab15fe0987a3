"""The WhatsApp management API: BYOK credentials, status, check, templates, signup, disconnect."""

from __future__ import annotations

import httpx
from sqlalchemy import select

from repdesk.channels.whatsapp.models import WhatsAppConnection
from repdesk.db.engine import Database
from tests.factories import create_assistant, signed_in
from tests.fakes.graph import FakeGraph
from tests.whatsapp.helpers import forget_app_secret


async def _setup(client: httpx.AsyncClient, db: Database) -> str:
    account = await signed_in(client, db)
    assistant = await create_assistant(db, workspace_id=account.workspace_id)
    return assistant.id


def creds(graph: FakeGraph, **over: str) -> dict[str, str]:
    body = {
        "accessToken": graph.access_token,
        "phoneNumberId": graph.phone_number_id,
        "businessAccountId": graph.business_account_id,
        "phoneNumber": graph.e164,
        "appSecret": "s3cret",
    }
    body.update(over)
    return body


async def test_byok_credentials_return_webhook_url_and_verify_token(
    client: httpx.AsyncClient, db: Database, graph: FakeGraph
) -> None:
    aid = await _setup(client, db)
    r = await client.post(f"/api/assistants/{aid}/whatsapp/credentials", json=creds(graph))
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["status"] == "connected" and len(body["verifyToken"]) >= 22
    assert body["webhookUrl"].startswith("http://testserver/webhooks/whatsapp_cloud/")
    path = body["webhookUrl"].rsplit("/", 1)[1]
    assert graph.phone_number_id not in path and graph.business_account_id not in path
    status = (await client.get(f"/api/assistants/{aid}/whatsapp")).json()
    assert status["connected"] is True and status["displayName"] == graph.verified_name
    assert status["qualityRating"] == "GREEN" and status["messagingTier"] == "TIER_1K"
    assert status["signatureVerification"] is True
    assert "accessToken" not in status and graph.access_token not in r.text + str(status)


async def test_bad_credentials_are_clear_400s_and_save_nothing(
    client: httpx.AsyncClient, db: Database, graph: FakeGraph
) -> None:
    aid = await _setup(client, db)
    url = f"/api/assistants/{aid}/whatsapp/credentials"
    cases = [
        (creds(graph, phoneNumber="08031234567"), "INVALID_PHONE_NUMBER"),
        (creds(graph, phoneNumber="+1 (555) 078-3881"), "INVALID_PHONE_NUMBER"),
        (creds(graph, accessToken="EAAG-revoked"), "WHATSAPP_CREDENTIALS_INVALID"),
        (creds(graph, phoneNumberId="999999"), "WHATSAPP_CREDENTIALS_INVALID"),
        (creds(graph, phoneNumber="+2348031234567"), "VALIDATION_ERROR"),  # not this id's number
        (creds(graph) | {"extra": "x"}, "VALIDATION_ERROR"),
    ]
    for body, code in cases:
        r = await client.post(url, json=body)
        assert r.status_code == 400, (body, r.text)
        assert r.json()["code"] == code, (body, r.json())
    graph.fail_next(code=2, status=503)
    r = await client.post(url, json=creds(graph))
    assert r.status_code == 502 and r.json()["code"] == "META_API_ERROR"
    async with db.transaction() as session:
        assert await session.scalar(select(WhatsAppConnection)) is None


async def test_the_app_secret_is_required_to_connect(
    client: httpx.AsyncClient, db: Database, graph: FakeGraph
) -> None:
    aid = await _setup(client, db)
    for body in (creds(graph, appSecret=""), creds(graph, appSecret="   ")):
        r = await client.post(f"/api/assistants/{aid}/whatsapp/credentials", json=body)
        assert r.status_code == 400, r.text
        assert r.json()["code"] == "VALIDATION_ERROR" and "appSecret" in r.json()["message"]
    seed_example = {k: v for k, v in creds(graph).items() if k != "appSecret"}
    r = await client.post("/api/integrations/credentials", json=seed_example)
    assert r.status_code == 400 and "appSecret is required" in r.json()["message"]
    assert graph.requests_to(f"/{graph.phone_number_id}") == []  # refused before asking Meta
    async with db.transaction() as session:
        assert await session.scalar(select(WhatsAppConnection)) is None


async def test_an_app_secret_can_be_added_to_a_connection_saved_without_one(
    client: httpx.AsyncClient, db: Database, graph: FakeGraph
) -> None:
    aid = await _setup(client, db)
    r = await client.post(f"/api/assistants/{aid}/whatsapp/credentials", json=creds(graph))
    assert r.status_code == 200
    await forget_app_secret(db)
    status = (await client.get(f"/api/assistants/{aid}/whatsapp")).json()
    assert status["secured"] is False and status["signatureVerification"] is False
    url = f"/api/assistants/{aid}/whatsapp/app-secret"
    bad = await client.put(url, json={"appSecret": ""})
    assert bad.status_code == 400 and "appSecret" in bad.json()["message"]
    ok = await client.put(url, json={"appSecret": "new-secret"})
    assert ok.status_code == 200, ok.text
    assert ok.json()["secured"] is True and ok.json()["unsignedWebhooksSeen"] is False
    async with db.transaction() as session:
        conn = await session.scalar(select(WhatsAppConnection))
    assert conn is not None and conn.app_secret_enc and "new-secret" not in conn.app_secret_enc


async def test_check_marks_disconnected_when_token_is_revoked_and_disconnect_removes(
    client: httpx.AsyncClient, db: Database, graph: FakeGraph
) -> None:
    aid = await _setup(client, db)
    await client.post(f"/api/assistants/{aid}/whatsapp/credentials", json=creds(graph))
    graph.revoke()
    r = await client.post(f"/api/assistants/{aid}/whatsapp/check")
    assert (
        r.status_code == 200
        and r.json()["status"] == "disconnected"
        and r.json()["connected"] is False
    )
    r = await client.delete(f"/api/assistants/{aid}/whatsapp")
    assert r.status_code == 204
    assert (await client.get(f"/api/assistants/{aid}/whatsapp")).json()["status"] == "not_connected"
    async with db.transaction() as session:
        assert await session.scalar(select(WhatsAppConnection)) is None


async def test_templates_sync_and_list(
    client: httpx.AsyncClient, db: Database, graph: FakeGraph
) -> None:
    aid = await _setup(client, db)
    await client.post(f"/api/assistants/{aid}/whatsapp/credentials", json=creds(graph))
    graph.templates[graph.business_account_id] += [
        graph.template(f"promo_{i}", "en_US", "APPROVED") for i in range(120)
    ]
    r = await client.post(f"/api/assistants/{aid}/whatsapp/templates/sync")
    assert r.status_code == 200
    listed = (await client.get(f"/api/assistants/{aid}/whatsapp/templates")).json()["data"]
    assert len(listed) == 123  # followed Meta's paging
    spring = next(t for t in listed if t["name"] == "spring_sale")
    assert spring["status"] == "PENDING" and spring["language"] == "en_US"


async def test_embedded_signup_exchanges_code_subscribes_and_registers(
    client: httpx.AsyncClient, db: Database, graph: FakeGraph
) -> None:
    aid = await _setup(client, db)
    cfg = (await client.get("/api/whatsapp/embedded-signup")).json()
    assert cfg == {
        "enabled": True,
        "appId": "1234567890",
        "configId": "987654321",
        "graphApiVersion": graph.version,
    }
    bad = await client.post(
        f"/api/assistants/{aid}/whatsapp/embedded-signup",
        json={
            "code": "wrong",
            "businessAccountId": graph.business_account_id,
            "phoneNumberId": graph.phone_number_id,
        },
    )
    assert bad.status_code == 400
    r = await client.post(
        f"/api/assistants/{aid}/whatsapp/embedded-signup",
        json={
            "code": graph.signup_code,
            "businessAccountId": graph.business_account_id,
            "phoneNumberId": graph.phone_number_id,
        },
    )
    assert r.status_code == 200, r.text
    assert r.json()["connected"] is True and r.json()["mode"] == "embedded"
    assert r.json()["phoneNumber"] == graph.e164
    assert (
        graph.business_account_id in graph.subscribed and graph.phone_number_id in graph.registered
    )
    exchange = graph.requests_to("/oauth/access_token")[-1]
    assert exchange.query["client_secret"] == "platform-app-secret"


async def test_other_workspaces_cannot_touch_the_connection(
    client: httpx.AsyncClient, db: Database, graph: FakeGraph
) -> None:
    aid = await _setup(client, db)
    await client.post(f"/api/assistants/{aid}/whatsapp/credentials", json=creds(graph))
    client.cookies.clear()
    await signed_in(client, db, email="other@shop.test")
    assert (await client.get(f"/api/assistants/{aid}/whatsapp")).status_code == 404
    assert (await client.delete(f"/api/assistants/{aid}/whatsapp")).status_code == 404


async def test_seed_integrations_endpoint_picks_the_only_whatsapp_assistant(
    client: httpx.AsyncClient, db: Database, graph: FakeGraph
) -> None:
    aid = await _setup(client, db)
    r = await client.post("/api/integrations/credentials", json=creds(graph))
    assert r.status_code == 200, r.text
    assert r.json()["webhookUrl"].startswith("http://testserver/webhooks/whatsapp_cloud/")
    assert (await client.get(f"/api/assistants/{aid}/whatsapp")).json()["connected"] is True
    account_ws = (await client.get(f"/api/assistants/{aid}")).json()["workspaceId"]
    await create_assistant(db, workspace_id=account_ws, name="Second")
    r = await client.post("/api/integrations/credentials", json=creds(graph))
    assert r.status_code == 400 and "assistantId" in r.json()["message"]
    r = await client.post("/api/integrations/credentials", json=creds(graph) | {"assistantId": aid})
    assert r.status_code == 200
