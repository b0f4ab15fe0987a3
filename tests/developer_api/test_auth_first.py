"""Every /v1 operation authenticates before it reads or validates anything else: an unknown,
malformed or revoked key is 401 INVALID_API_KEY whatever the request carries."""

from __future__ import annotations

import re
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from repdesk.db.engine import Database
from repdesk.developer_api import service as keys
from repdesk.developer_api.config import reset_api_settings
from repdesk.developer_api.models import ApiKey
from tests.developer_api.conftest import Tenant, make_tenant

# Bodies no operation accepts: not JSON, JSON of the wrong shape, and wrong types throughout.
BAD_BODIES: list[dict[str, Any]] = [
    {"content": b"{not json", "headers": {"Content-Type": "application/json"}},
    {"content": b"[1, 2, 3]", "headers": {"Content-Type": "application/json"}},
    {
        "content": b'{"to": 5, "type": "nope", "url": 7, "events": 1, "phone": []}',
        "headers": {"Content-Type": "application/json"},
    },
    {"content": b"\xff\xfe", "headers": {"Content-Type": "text/plain"}},
]
# Path parameters and query strings that are themselves invalid.
BAD_QUERY = "?limit=0&cursor=%21%21&since=yesterday&status=nope&phone=123"


@pytest.fixture(autouse=True)
def no_rate_limits(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("BURST", "READS", "SEND", "BROADCAST", "CONTACTS_CREATE"):
        monkeypatch.setenv(f"REPDESK_API_RATE_{name}", "10000/second")
    reset_api_settings()


async def _operations(client: httpx.AsyncClient) -> list[tuple[str, str]]:
    doc = (await client.get("/v1/openapi.json")).json()
    out = []
    for path, ops in doc["paths"].items():
        for method in ops:
            if method in ("get", "post", "put", "patch", "delete"):
                out.append((method.upper(), "/v1" + re.sub(r"\{[^}]+\}", "x" * 200, path)))
    return out


async def _revoked_key(db: Database, tenant: Tenant) -> str:
    async with db.transaction() as session:
        row = await session.scalar(
            select(ApiKey).where(ApiKey.key_hash == keys.hash_key(tenant.live_key))
        )
        assert row is not None
        await keys.revoke_key(session, row)
    return tenant.live_key


@pytest.mark.parametrize("kind", ["missing", "malformed", "unknown", "revoked"])
async def test_every_operation_answers_401_for_a_bad_key_whatever_the_body(
    client: httpx.AsyncClient, db: Database, kind: str
) -> None:
    tenant = await make_tenant(db)
    key = {
        "missing": None,
        "malformed": "rep_live_short",
        "unknown": "rep_live_" + "A" * 40,
        "revoked": await _revoked_key(db, tenant) if kind == "revoked" else "",
    }[kind]
    operations = await _operations(client)
    assert len(operations) >= 15  # the whole API, not an empty document
    wrong = []
    for method, path in operations:
        for body in BAD_BODIES:
            headers = dict(body["headers"])
            if key is not None:
                headers["Authorization"] = f"Bearer {key}"
            headers["Idempotency-Key"] = " "
            r = await client.request(
                method, path + BAD_QUERY, content=body["content"], headers=headers
            )
            if r.status_code != 401 or r.json().get("code") != "INVALID_API_KEY":
                wrong.append((method, path[:40], body["content"][:10], r.status_code, r.text[:80]))
    assert wrong == []


async def test_a_valid_key_still_gets_the_validation_error(
    client: httpx.AsyncClient, tenant: Tenant
) -> None:
    for path in ("/v1/messages/send", "/v1/contacts", "/v1/webhooks"):
        r = await client.post(
            path,
            content=b"{not json",
            headers={**tenant.headers(), "Content-Type": "application/json"},
        )
        assert r.status_code == 400, (path, r.text)
        assert r.json()["code"] == "VALIDATION_ERROR"
    r = await client.get("/v1/messages?limit=0", headers=tenant.headers())
    assert r.status_code == 400
