"""Every emailed token works once: a conditional UPDATE consumes it, so a second use (after the
first succeeded, or racing it) is refused with ``TOKEN_USED``."""

from __future__ import annotations

import asyncio
from pathlib import Path

import httpx
from sqlalchemy import select

from repdesk.accounts import service as accounts
from repdesk.accounts.models import EmailToken, User
from repdesk.db.engine import Database
from repdesk.jobs.worker import Worker
from repdesk.kit.errors import AppError
from tests.factories import outbox_messages, verify_token_from


async def _registered_token(client: httpx.AsyncClient, worker: Worker, data_dir: Path) -> str:
    r = await client.post(
        "/api/auth/register",
        json={"email": "ada@shop.test", "password": "s3cret-pass", "businessName": "Ada's Shop"},
    )
    assert r.status_code == 201, r.text
    await worker.drain()
    (mail,) = outbox_messages(data_dir)
    return verify_token_from(mail["body"])


async def test_verification_link_works_once_on_the_api(
    client: httpx.AsyncClient, worker: Worker, data_dir: Path
) -> None:
    token = await _registered_token(client, worker, data_dir)
    assert (await client.post("/api/auth/verify", json={"token": token})).status_code == 200
    again = await client.post("/api/auth/verify", json={"token": token})
    assert again.status_code == 400
    body = again.json()
    assert body["code"] == "TOKEN_USED"
    assert "already been used" in body["message"] and body["docs"].endswith("TOKEN_USED")


async def test_verification_link_works_once_on_the_page(
    client: httpx.AsyncClient, worker: Worker, data_dir: Path, db: Database
) -> None:
    token = await _registered_token(client, worker, data_dir)
    first = await client.get(f"/verify?token={token}")
    assert first.status_code == 200
    second = await client.get(f"/verify?token={token}")
    assert second.status_code == 400
    assert "already been used" in second.text
    async with db.session() as session:
        user = await session.scalar(select(User).where(User.email == "ada@shop.test"))
        assert user is not None and user.email_verified
        row = await session.scalar(select(EmailToken).where(EmailToken.user_id == user.id))
        assert row is not None and row.used_at is not None


async def test_two_concurrent_uses_of_one_token_one_wins(
    client: httpx.AsyncClient, worker: Worker, data_dir: Path, db: Database
) -> None:
    token = await _registered_token(client, worker, data_dir)

    async def use() -> str:
        try:
            async with db.transaction() as session:
                await accounts.verify_email(session, token)
            return "ok"
        except AppError as exc:
            return exc.code

    results = await asyncio.gather(*(use() for _ in range(4)))
    assert sorted(results) == ["TOKEN_USED", "TOKEN_USED", "TOKEN_USED", "ok"]


async def test_unknown_and_expired_tokens_are_invalid_not_used(
    client: httpx.AsyncClient, worker: Worker, data_dir: Path, db: Database
) -> None:
    token = await _registered_token(client, worker, data_dir)
    async with db.transaction() as session:
        row = await session.scalar(select(EmailToken))
        assert row is not None
        row.expires_at = row.created_at
    r = await client.post("/api/auth/verify", json={"token": token})
    assert r.status_code == 400 and r.json()["code"] == "INVALID_TOKEN"
    r = await client.post("/api/auth/verify", json={"token": "y" * 40})
    assert r.status_code == 400 and r.json()["code"] == "INVALID_TOKEN"
    async with db.session() as session:
        user = await session.scalar(select(User).where(User.email == "ada@shop.test"))
        assert user is not None and not user.email_verified
