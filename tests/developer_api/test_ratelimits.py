"""Per-key rate limits of the seed's table, with headers on every response; memory and Redis."""

from __future__ import annotations

import asyncio
import hashlib
import os
import time
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
import redis

from repdesk.app import create_app
from repdesk.config import Settings
from repdesk.db.engine import Database
from repdesk.developer_api.config import DeveloperApiSettings, reset_api_settings
from tests.developer_api.conftest import Tenant

REDIS_URL = os.environ.get("REPDESK_TEST_REDIS", "redis://127.0.0.1:6379/0")


def assert_headers(r: httpx.Response, limit: int) -> None:
    assert r.headers["X-RateLimit-Limit"] == str(limit), (r.request.url, r.headers)
    remaining = int(r.headers["X-RateLimit-Remaining"])
    assert 0 <= remaining < limit
    reset = int(r.headers["X-RateLimit-Reset"])
    assert time.time() - 2 <= reset <= time.time() + 3600


async def test_every_response_carries_the_seeds_limits(
    client: httpx.AsyncClient, tenant: Tenant
) -> None:
    h = tenant.headers()
    r = await client.get("/v1/account", headers=h)
    assert r.status_code == 200
    assert_headers(r, 300)  # all GET endpoints 300/min
    first = int(r.headers["X-RateLimit-Remaining"])
    r = await client.get("/v1/contacts", headers=h)
    assert int(r.headers["X-RateLimit-Remaining"]) == first - 1
    r = await client.post("/v1/contacts", headers=h, json={"phone": "+2348012345678"})
    assert r.status_code == 201
    assert_headers(r, 200)  # POST /contacts 200/min
    r = await client.post("/v1/contacts", headers=h, json={"phone": "+2348012345678"})
    assert r.status_code == 409
    assert_headers(r, 200)
    r = await client.post(
        "/v1/messages/send",
        headers=tenant.headers(sandbox=True),
        json={"to": "+2348012345678", "type": "text", "text": {"body": "hi"}},
    )
    assert r.status_code == 400
    assert_headers(r, 100)  # POST /messages/send 100/min
    r = await client.post("/v1/broadcast", headers=h, json={"type": "text"})
    assert r.status_code == 400
    assert_headers(r, 10)  # POST /broadcast 10/min
    r = await client.delete("/v1/contacts/nope", headers=h)
    assert r.status_code == 404
    assert_headers(r, 20)  # only the global burst applies
    r = await client.get("/v1/account", headers={"Authorization": "Bearer rep_live_nope"})
    assert r.status_code == 401
    assert_headers(r, 300)


def test_defaults_are_the_seeds_table() -> None:
    s = DeveloperApiSettings()
    assert (s.api_rate_send, s.api_rate_broadcast, s.api_rate_contacts_create) == (
        "100/minute",
        "10/minute",
        "200/minute",
    )
    assert (s.api_rate_reads, s.api_rate_burst) == ("300/minute", "20/second")


@pytest.fixture
def slow_burst(monkeypatch: pytest.MonkeyPatch) -> None:
    """20 per 30 s instead of per second: the same rule, but a loaded machine cannot stretch
    21 requests over two windows."""
    monkeypatch.setenv("REPDESK_API_RATE_BURST", "20/30 seconds")
    reset_api_settings()


async def test_global_burst_answers_429_after_20(
    client: httpx.AsyncClient, tenant: Tenant, slow_burst: None
) -> None:
    responses = await asyncio.gather(
        *(client.get("/v1/account", headers=tenant.headers()) for _ in range(21))
    )
    codes = sorted(r.status_code for r in responses)
    assert codes == [200] * 20 + [429], codes
    last = next(r for r in responses if r.status_code == 429)
    assert last.json()["code"] == "RATE_LIMIT_EXCEEDED"
    assert set(last.json()) == {"code", "message", "docs"}
    assert 1 <= int(last.headers["Retry-After"]) <= 31
    assert last.headers["X-RateLimit-Limit"] == "20"
    assert last.headers["X-RateLimit-Remaining"] == "0"
    # another key of the same assistant has its own budget
    other = await client.get("/v1/account", headers=tenant.headers(sandbox=True))
    assert other.status_code == 200


async def test_endpoint_limit_answers_429_with_retry_after(
    client: httpx.AsyncClient, tenant: Tenant, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("REPDESK_API_RATE_SEND", "3/minute")
    reset_api_settings()
    body = {"to": "+2348012345678", "type": "text", "text": {"body": "hi"}}
    codes, remaining = [], []
    for _ in range(4):
        r = await client.post("/v1/messages/send", headers=tenant.headers(sandbox=True), json=body)
        codes.append(r.status_code)
        remaining.append(r.headers["X-RateLimit-Remaining"])
    assert codes == [400, 400, 400, 429]  # the window is closed; the 4th never got that far
    assert remaining == ["2", "1", "0", "0"]
    assert 50 <= int(r.headers["Retry-After"]) <= 60
    assert r.json()["code"] == "RATE_LIMIT_EXCEEDED"
    # reads are a separate budget
    assert (
        await client.get("/v1/account", headers=tenant.headers(sandbox=True))
    ).status_code == 200


@pytest.fixture
async def redis_apps(settings: Settings, db: Database) -> AsyncIterator[list[httpx.AsyncClient]]:
    """Two app instances (replicas) sharing one Redis for their rate limits."""
    redis_settings = settings.model_copy(update={"redis_url": REDIS_URL})
    clients: list[httpx.AsyncClient] = []
    apps: list[Any] = []
    for _ in range(2):
        application = create_app(redis_settings, db=db)
        await application.router.lifespan_context(application).__aenter__()
        apps.append(application)
        clients.append(
            httpx.AsyncClient(
                transport=httpx.ASGITransport(app=application), base_url="http://testserver"
            )
        )
    yield clients
    for c in clients:
        await c.aclose()


async def test_redis_storage_shares_the_limit_between_replicas(
    redis_apps: list[httpx.AsyncClient], tenant: Tenant, slow_burst: None
) -> None:
    a, b = redis_apps
    responses = await asyncio.gather(
        *((a if i % 2 else b).get("/v1/account", headers=tenant.headers()) for i in range(21))
    )
    assert sorted(r.status_code for r in responses) == [200] * 20 + [429]
    limited = next(r for r in responses if r.status_code == 429)
    assert 1 <= int(limited.headers["Retry-After"]) <= 31
    # the counters live in Redis (keyed by the API key's hash, so parallel runs never collide)
    r = redis.Redis.from_url(REDIS_URL)
    try:
        digest = hashlib.sha256(tenant.live_key.encode()).hexdigest()[:32]
        assert r.keys(f"LIMITS*v1/reads/key:{digest}*")
    finally:
        r.close()


async def test_the_key_bucket_ignores_scheme_case_and_spacing(
    client: httpx.AsyncClient, tenant: Tenant
) -> None:
    variants = [
        f"Bearer {tenant.live_key}",
        f"bearer {tenant.live_key}",
        f"Bearer  {tenant.live_key}",
    ]
    remaining = []
    for value in variants * 2:
        r = await client.get("/v1/account", headers={"Authorization": value})
        assert r.status_code == 200, value
        remaining.append(int(r.headers["X-RateLimit-Remaining"]))
    assert remaining == sorted(remaining, reverse=True) and len(set(remaining)) == 6


async def test_an_internal_error_keeps_the_shape_and_the_headers(
    client: httpx.AsyncClient, db: Database, tenant: Tenant
) -> None:
    from sqlalchemy import text

    async with db.engine.begin() as conn:  # the table goes missing under the running app
        await conn.execute(text("ALTER TABLE webhook_endpoints RENAME TO webhook_endpoints_gone"))
    try:
        r = await client.get("/v1/webhooks", headers=tenant.headers())
    finally:
        async with db.engine.begin() as conn:
            await conn.execute(
                text("ALTER TABLE webhook_endpoints_gone RENAME TO webhook_endpoints")
            )
    assert r.status_code == 500
    assert r.json()["code"] == "INTERNAL_ERROR" and set(r.json()) == {"code", "message", "docs"}
    assert "webhook_endpoints" not in r.text  # no internals leak
    assert r.headers["X-RateLimit-Limit"] == "300"
    assert (await client.get("/v1/webhooks", headers=tenant.headers())).status_code == 200
