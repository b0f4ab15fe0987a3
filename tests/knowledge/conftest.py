from __future__ import annotations

import httpx
import pytest_asyncio

from repdesk.assistants.models import Assistant
from repdesk.db.engine import Database
from tests.factories import Account, create_account, create_assistant, signed_in
from tests.fakes.embeddings import embedding_server  # noqa: F401  (fixture)


@pytest_asyncio.fixture
async def assistant(db: Database) -> Assistant:
    _user, ws = await create_account(db)
    return await create_assistant(db, workspace_id=ws.id)


@pytest_asyncio.fixture
async def owner(client: httpx.AsyncClient, db: Database) -> Account:
    return await signed_in(client, db)


@pytest_asyncio.fixture
async def assistant_id(client: httpx.AsyncClient, owner: Account) -> str:
    r = await client.post("/api/assistants", json={"name": "Shop", "platform": "whatsapp"})
    assert r.status_code == 201, r.text
    return str(r.json()["id"])
