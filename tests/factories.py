"""Small typed helpers that build test data through the real services and HTTP API."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Coroutine
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import parse_qs, urlparse

import httpx

from repdesk.accounts import service as accounts
from repdesk.accounts.models import User, Workspace
from repdesk.assistants import service as assistants
from repdesk.assistants.models import Assistant
from repdesk.db.engine import Database

T = TypeVar("T")


@dataclass
class Account:
    user_id: str
    workspace_id: str
    email: str
    password: str
    csrf: str


def outbox_messages(data_dir: Path) -> list[dict[str, str]]:
    folder = data_dir / "outbox"
    if not folder.exists():
        return []
    return [json.loads(p.read_text()) for p in sorted(folder.glob("*.json"))]


def verify_token_from(body: str) -> str:
    for line in body.splitlines():
        if "/verify?token=" in line:
            return parse_qs(urlparse(line.strip()).query)["token"][0]
    raise AssertionError("no verification link in the email")


async def create_account(
    db: Database,
    *,
    email: str = "owner@shop.test",
    password: str = "correct horse battery",
    business_name: str = "Ada's Shop",
) -> tuple[User, Workspace]:
    """A verified account made through the service (no email round trip)."""
    async with db.transaction() as session:
        return await accounts.register(
            session,
            email=email,
            password=password,
            business_name=business_name,
            verified=True,
            send_email=False,
        )


async def login(client: httpx.AsyncClient, *, email: str, password: str) -> Account:
    """Log ``client`` in through the API; later calls carry the cookie and CSRF header."""
    r = await client.post("/api/auth/login", json={"email": email, "password": password})
    assert r.status_code == 200, r.text
    body = r.json()
    client.headers["X-CSRF-Token"] = body["csrfToken"]
    return Account(body["userId"], body["workspaceId"], email, password, body["csrfToken"])


async def signed_in(
    client: httpx.AsyncClient,
    db: Database,
    *,
    email: str = "owner@shop.test",
    password: str = "correct horse battery",
    business_name: str = "Ada's Shop",
) -> Account:
    await create_account(db, email=email, password=password, business_name=business_name)
    return await login(client, email=email, password=password)


async def create_assistant(
    db: Database, *, workspace_id: str, name: str = "Sales", platform: str = "whatsapp"
) -> Assistant:
    async with db.transaction() as session:
        return await assistants.create(
            session, workspace_id=workspace_id, name=name, platform=platform
        )


def run_sync(coro: Coroutine[Any, Any, T]) -> T:
    """Run async setup from a sync test on an event loop of its own, in another thread (a
    browser test's thread belongs to Playwright's loop; a CLI test's to the command's)."""
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coro).result()


def seed_owner(
    database_url: str,
    *,
    email: str,
    password: str = "a-long-password",
    name: str = "Sales",
    demo: bool = False,
) -> str:
    """From a sync (browser) test: an owner who can log in with ``email``/``password`` and
    their assistant (the demo business when ``demo``); the assistant's id."""

    async def seed() -> str:
        db = Database(database_url)
        try:
            _user, ws = await create_account(db, email=email, password=password)
            if not demo:
                return (await create_assistant(db, workspace_id=ws.id, name=name)).id
            from repdesk.ai.demo import load_demo

            async with db.transaction() as session:
                return str((await load_demo(session, workspace_id=ws.id)).id)
        finally:
            await db.dispose()

    return run_sync(seed())
