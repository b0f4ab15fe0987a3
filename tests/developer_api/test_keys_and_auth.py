"""API keys: created once, stored as hashes, scoped to one assistant, revocable."""

from __future__ import annotations

import hashlib

import httpx
from sqlalchemy import text

from repdesk.db.base import Base
from repdesk.db.engine import Database
from tests.developer_api.conftest import Tenant, make_tenant
from tests.factories import create_assistant, signed_in


async def test_create_list_use_and_revoke_a_key(client: httpx.AsyncClient, db: Database) -> None:
    account = await signed_in(client, db)
    assistant = await create_assistant(db, workspace_id=account.workspace_id)

    r = await client.post(
        f"/api/assistants/{assistant.id}/api-keys", json={"name": "CRM", "environment": "live"}
    )
    assert r.status_code == 201, r.text
    created = r.json()
    raw = created["key"]
    assert raw.startswith("rep_live_") and len(raw) == 49
    assert created["prefix"] == "rep_live_" and created["last4"] == raw[-4:]
    assert set(created) >= {"id", "key", "prefix", "last4", "environment", "createdAt"}

    r = await client.post(
        f"/api/assistants/{assistant.id}/api-keys", json={"name": "Tests", "environment": "test"}
    )
    assert r.json()["key"].startswith("rep_test_")

    listed = (await client.get(f"/api/assistants/{assistant.id}/api-keys")).json()["data"]
    assert [k["name"] for k in listed] == ["Tests", "CRM"]
    assert all("key" not in k for k in listed)  # the raw key is never shown again

    auth = {"Authorization": f"Bearer {raw}"}
    r = await client.get("/v1/account", headers=auth)
    assert r.status_code == 200, r.text
    assert r.json()["environment"] == "live"
    assert r.json()["assistant"]["id"] == assistant.id
    listed = (await client.get(f"/api/assistants/{assistant.id}/api-keys")).json()["data"]
    assert next(k for k in listed if k["name"] == "CRM")["lastUsedAt"] is not None

    r = await client.delete(f"/api/api-keys/{created['id']}")
    assert r.status_code == 204
    r = await client.get("/v1/account", headers=auth)
    assert r.status_code == 401
    assert r.json()["code"] == "INVALID_API_KEY"
    assert set(r.json()) == {"code", "message", "docs"}


async def test_bad_key_requests_are_401_invalid_api_key(
    client: httpx.AsyncClient, tenant: Tenant
) -> None:
    for headers in (
        {},
        {"Authorization": "Bearer"},
        {"Authorization": "Basic dXNlcjpwYXNz"},
        {"Authorization": "Bearer rep_live_" + "x" * 40},
        {"Authorization": "Bearer " + tenant.live_key[:-1]},
        {"Authorization": "Bearer sk_live_whatever"},
    ):
        r = await client.get("/v1/account", headers=headers)
        assert r.status_code == 401, headers
        assert r.json()["code"] == "INVALID_API_KEY"
        assert r.headers["X-RateLimit-Limit"]


async def test_no_raw_key_is_stored_anywhere(client: httpx.AsyncClient, db: Database) -> None:
    tenant = await make_tenant(db)
    assert (await client.get("/v1/account", headers=tenant.headers())).status_code == 200
    secrets = [tenant.live_key, tenant.test_key]
    secret_parts = [s[len("rep_live_") :] for s in secrets]
    found = []
    async with db.engine.connect() as conn:
        for table in Base.metadata.sorted_tables:
            rows = (await conn.execute(text(f'SELECT * FROM "{table.name}"'))).all()
            for row in rows:
                blob = " ".join(str(v) for v in row)
                if any(part in blob for part in secret_parts):
                    found.append(table.name)
        hashes = {r[0] for r in (await conn.execute(text("SELECT key_hash FROM api_keys"))).all()}
    assert found == []
    assert hashes == {hashlib.sha256(s.encode()).hexdigest() for s in secrets}


async def test_key_management_is_scoped_to_the_workspace(
    client: httpx.AsyncClient, db: Database
) -> None:
    other = await make_tenant(db, email="other@shop.test")
    await signed_in(client, db)
    r = await client.get(f"/api/assistants/{other.assistant.id}/api-keys")
    assert r.status_code == 404
    r = await client.post(
        f"/api/assistants/{other.assistant.id}/api-keys", json={"name": "x", "environment": "live"}
    )
    assert r.status_code == 404
    async with db.engine.connect() as conn:
        key_id = (await conn.execute(text("SELECT id FROM api_keys LIMIT 1"))).scalar_one()
    assert (await client.delete(f"/api/api-keys/{key_id}")).status_code == 404
    assert (await client.get("/v1/account", headers=other.headers())).status_code == 200


async def test_bad_key_creation_is_a_400(client: httpx.AsyncClient, db: Database) -> None:
    account = await signed_in(client, db)
    assistant = await create_assistant(db, workspace_id=account.workspace_id)
    widget = await create_assistant(db, workspace_id=account.workspace_id, platform="widget")
    for body in (
        {"name": "", "environment": "live"},
        {"name": "x", "environment": "prod"},
        {"name": "x", "environment": "live", "extra": 1},
    ):
        r = await client.post(f"/api/assistants/{assistant.id}/api-keys", json=body)
        assert r.status_code == 400, body
        assert r.json()["code"] == "VALIDATION_ERROR"
    r = await client.post(
        f"/api/assistants/{widget.id}/api-keys", json={"name": "x", "environment": "live"}
    )
    assert r.status_code == 400
    listed = (await client.get(f"/api/assistants/{assistant.id}/api-keys")).json()["data"]
    assert listed == []


async def test_account_reports_workspace_assistant_balance_and_environment(
    client: httpx.AsyncClient, tenant: Tenant
) -> None:
    body = (await client.get("/v1/account", headers=tenant.headers(sandbox=True))).json()
    assert body["workspace"] == {"id": tenant.workspace_id, "name": "Ada's Shop"}
    assert body["assistant"]["platform"] == "whatsapp"
    assert body["assistant"]["phoneNumber"] == "+2348000000001"
    assert body["creditBalance"] == 20
    assert body["environment"] == "test" and body["sandbox"] is True


async def test_key_management_routes_are_in_the_management_openapi(
    client: httpx.AsyncClient,
) -> None:
    paths = (await client.get("/api/openapi.json")).json()["paths"]
    assert {"post", "get"} <= set(paths["/api/assistants/{assistant_id}/api-keys"])
    assert "delete" in paths["/api/api-keys/{key_id}"]
