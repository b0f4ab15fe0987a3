"""Login throttling: per IP, per (email, IP) with a growing wait, and per email only for IPs
that have never signed in to it, so an attacker elsewhere cannot lock the owner out."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any

import httpx
import pytest

from repdesk.db.engine import Database
from tests.factories import create_account

EMAIL = "owner@shop.test"
PASSWORD = "correct horse battery"
OWNER_IP = "198.51.100.10"
ATTACKER_IP = "203.0.113.66"

ClientAt = Callable[[str], AbstractAsyncContextManager[httpx.AsyncClient]]


@pytest.fixture
def client_at(app: Any) -> ClientAt:
    """An HTTP client on the app whose connections come from ``ip``."""

    @asynccontextmanager
    async def make(ip: str) -> AsyncIterator[httpx.AsyncClient]:
        transport = httpx.ASGITransport(app=app, client=(ip, 40000))
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
            yield c

    return make


async def _login(client: httpx.AsyncClient, password: str, email: str = EMAIL) -> httpx.Response:
    return await client.post("/api/auth/login", json={"email": email, "password": password})


async def test_attacker_failing_elsewhere_does_not_lock_out_the_owner(
    db: Database, client_at: ClientAt
) -> None:
    await create_account(db, email=EMAIL, password=PASSWORD)
    async with client_at(OWNER_IP) as owner:
        assert (await _login(owner, PASSWORD)).status_code == 200  # OWNER_IP is now known
    async with client_at(ATTACKER_IP) as attacker:
        codes = [(await _login(attacker, f"guess-{i}")).status_code for i in range(15)]
    assert codes[:5] == [401] * 5 and set(codes[5:]) == {429}
    async with client_at(OWNER_IP) as owner:
        r = await _login(owner, PASSWORD)
        assert r.status_code == 200, r.text


async def test_email_is_locked_for_unknown_ips_after_the_threshold(
    db: Database, client_at: ClientAt
) -> None:
    await create_account(db, email=EMAIL, password=PASSWORD)
    async with client_at(OWNER_IP) as owner:
        assert (await _login(owner, PASSWORD)).status_code == 200
    # Nine unknown addresses, one guess each (none passes a per-IP limit): with the owner's
    # first sign-in, when OWNER_IP was not known yet, ten attempts from unknown addresses.
    for n in range(9):
        async with client_at(f"192.0.2.{n + 1}") as bot:
            assert (await _login(bot, "wrong-guess")).status_code == 401
    # Now any address that never signed in is refused, even with the right password...
    async with client_at("192.0.2.200") as stranger:
        r = await _login(stranger, PASSWORD)
    assert r.status_code == 429
    assert r.json()["code"] == "RATE_LIMIT_EXCEEDED"
    assert 60 < int(r.headers["Retry-After"]) <= 600
    # ...while the owner's known address still gets in.
    async with client_at(OWNER_IP) as owner:
        assert (await _login(owner, PASSWORD)).status_code == 200
    # Another email is not affected.
    await create_account(db, email="other@shop.test", password=PASSWORD)
    async with client_at("192.0.2.201") as stranger:
        assert (await _login(stranger, PASSWORD, "other@shop.test")).status_code == 200


async def test_same_email_and_ip_waits_longer_the_more_it_fails(
    db: Database, client_at: ClientAt
) -> None:
    await create_account(db, email=EMAIL, password=PASSWORD)
    async with client_at(OWNER_IP) as c:
        assert (await _login(c, PASSWORD)).status_code == 200  # known: only (email, IP) applies
        responses = [await _login(c, f"typo-{i}") for i in range(22)]
    assert [r.status_code for r in responses[:5]] == [401] * 5
    assert all(r.status_code == 429 for r in responses[5:])
    waits = [int(r.headers["Retry-After"]) for r in responses[5:]]
    assert all(1 <= w <= 60 for w in waits[:5])  # the minute window
    assert all(60 < w <= 600 for w in waits[5:15])  # then the ten-minute window
    assert all(600 < w <= 3600 for w in waits[15:])  # then the hour
    # (Within one window the wait counts down as the test runs; across windows it grows.)
    assert max(waits[:5]) < min(waits[5:15]) and max(waits[5:15]) < min(waits[15:])
    body = responses[-1].json()
    assert set(body) == {"code", "message", "docs"}
    assert body["code"] == "RATE_LIMIT_EXCEEDED"
    assert body["message"].startswith("Too many sign-in attempts. Try again in ")
    assert body["message"].endswith(("minutes.", "hour."))
    # The right password is refused too while it waits (no oracle for the attacker).
    async with client_at(OWNER_IP) as c:
        assert (await _login(c, PASSWORD)).status_code == 429


async def test_signing_in_forgives_that_ips_failures(db: Database, client_at: ClientAt) -> None:
    await create_account(db, email=EMAIL, password=PASSWORD)
    async with client_at(OWNER_IP) as c:
        for round_ in range(3):
            codes = [(await _login(c, f"typo-{round_}-{i}")).status_code for i in range(4)]
            assert codes == [401] * 4
            assert (await _login(c, PASSWORD)).status_code == 200


async def test_one_ip_spraying_many_emails_is_limited(
    db: Database, client_at: ClientAt, app: Any
) -> None:
    app.state.settings.login_rate_limit = "8/minute"
    async with client_at(ATTACKER_IP) as attacker:
        codes = [(await _login(attacker, "pw", f"u{i}@shop.test")).status_code for i in range(10)]
    assert codes == [401] * 8 + [429] * 2
    async with client_at(OWNER_IP) as other:
        assert (await _login(other, "pw", "u0@shop.test")).status_code == 401


async def test_login_page_shows_the_wait_with_retry_after(
    db: Database, client_at: ClientAt
) -> None:
    await create_account(db, email=EMAIL, password=PASSWORD)
    async with client_at(ATTACKER_IP) as c:
        await c.get("/login")
        csrf = c.cookies["repdesk_csrf"]
        form = {"email": EMAIL, "password": "wrong", "csrf_token": csrf, "next": "/dashboard"}
        codes = [(await c.post("/login", data=form)).status_code for _ in range(5)]
        assert codes == [401] * 5
        r = await c.post("/login", data=form)
    assert r.status_code == 429
    assert 1 <= int(r.headers["Retry-After"]) <= 60
    assert "Too many sign-in attempts. Try again in" in r.text
