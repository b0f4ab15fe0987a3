from __future__ import annotations

from pathlib import Path

import httpx

from repdesk.db.engine import Database
from repdesk.jobs.worker import Worker
from tests.factories import outbox_messages, signed_in, verify_token_from


async def register(client: httpx.AsyncClient, email: str = "ada@shop.test") -> httpx.Response:
    return await client.post(
        "/api/auth/register",
        json={"email": email, "password": "s3cret-pass", "businessName": "Ada's Shop"},
    )


async def test_register_verify_login_flow_grants_twenty_credits(
    client: httpx.AsyncClient, worker: Worker, data_dir: Path
) -> None:
    r = await register(client)
    assert r.status_code == 201
    body = r.json()
    assert body == {"email": "ada@shop.test", "emailVerified": False}

    # Unverified: login refused with the documented code.
    r = await client.post(
        "/api/auth/login", json={"email": "ada@shop.test", "password": "s3cret-pass"}
    )
    assert r.status_code == 403 and r.json()["code"] == "EMAIL_NOT_VERIFIED"

    # The email is sent by a job into the file outbox (no SMTP configured).
    assert outbox_messages(data_dir) == []
    await worker.drain()
    mails = outbox_messages(data_dir)
    assert len(mails) == 1 and mails[0]["to"] == "ada@shop.test"
    token = verify_token_from(mails[0]["body"])
    assert "http://testserver/verify?token=" in mails[0]["body"]

    r = await client.post("/api/auth/verify", json={"token": token})
    assert r.status_code == 200

    r = await client.post(
        "/api/auth/login", json={"email": "ADA@shop.test", "password": "s3cret-pass"}
    )
    assert r.status_code == 200
    assert "repdesk_session" in r.cookies and "repdesk_csrf" in r.cookies
    client.headers["X-CSRF-Token"] = r.json()["csrfToken"]

    ws = (await client.get("/api/workspace")).json()
    assert ws["credits"] == 20 and ws["businessName"] == "Ada's Shop"

    r = await client.post("/api/auth/logout")
    assert r.status_code == 200
    assert (await client.get("/api/workspace")).status_code == 401


async def test_wrong_password_is_401_invalid_credentials(
    client: httpx.AsyncClient, db: Database
) -> None:
    await signed_in(client, db)
    client.cookies.clear()
    r = await client.post(
        "/api/auth/login", json={"email": "owner@shop.test", "password": "nope-nope"}
    )
    assert r.status_code == 401 and r.json()["code"] == "INVALID_CREDENTIALS"
    r = await client.post(
        "/api/auth/login", json={"email": "nobody@shop.test", "password": "nope-nope"}
    )
    assert r.status_code == 401 and r.json()["code"] == "INVALID_CREDENTIALS"


async def test_bad_verify_token_is_rejected(client: httpx.AsyncClient) -> None:
    r = await client.post("/api/auth/verify", json={"token": "x" * 40})
    assert r.status_code == 400 and r.json()["code"] == "INVALID_TOKEN"


async def test_state_changing_api_call_without_csrf_header_is_refused(
    client: httpx.AsyncClient, db: Database
) -> None:
    await signed_in(client, db)
    del client.headers["X-CSRF-Token"]
    r = await client.post("/api/assistants", json={"name": "A", "platform": "widget"})
    assert r.status_code == 403 and r.json()["code"] == "CSRF_FAILED"
    client.headers["X-CSRF-Token"] = "forged"
    r = await client.post("/api/assistants", json={"name": "A", "platform": "widget"})
    assert r.status_code == 403


async def test_malformed_bodies_get_clear_4xx_never_500(client: httpx.AsyncClient) -> None:
    cases = [
        b"{not json",
        b"[]",
        b'{"email": 5, "password": null}',
        b'{"email":"a@b.co","password":"longenough","businessName":"","extra":1}',
        "\u0000".encode(),
        b'{"email":"not-an-email","password":"longenough","businessName":"B"}',
    ]
    for raw in cases:
        r = await client.post(
            "/api/auth/register", content=raw, headers={"content-type": "application/json"}
        )
        assert 400 <= r.status_code < 500, (raw, r.status_code, r.text)
        assert r.json()["code"] == "VALIDATION_ERROR"
    r = await client.post(
        "/api/auth/login", content=b"email=x", headers={"content-type": "text/plain"}
    )
    assert 400 <= r.status_code < 500


async def test_login_attempts_from_one_ip_are_rate_limited(
    client: httpx.AsyncClient, app: object
) -> None:
    app.state.settings.login_rate_limit = "3/minute"  # type: ignore[attr-defined]
    codes = []
    for _ in range(5):
        r = await client.post(
            "/api/auth/login", json={"email": "x@shop.test", "password": "wrong-one"}
        )
        codes.append(r.status_code)
    assert codes[:3] == [401, 401, 401]
    assert codes[3:] == [429, 429]
    assert int(r.headers["Retry-After"]) >= 1
