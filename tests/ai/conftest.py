from __future__ import annotations

from dataclasses import dataclass

import httpx
import pytest_asyncio

from repdesk.ai.demo import load_demo
from repdesk.assistants.models import Assistant
from repdesk.db.engine import Database
from tests.factories import Account, signed_in
from tests.fakes.openai_server import llm  # noqa: F401  (fixture)


@dataclass
class DemoShop:
    account: Account
    assistant: Assistant


@pytest_asyncio.fixture
async def shop(client: httpx.AsyncClient, db: Database) -> DemoShop:
    """A signed-in owner whose workspace has the demo business loaded."""
    account = await signed_in(client, db)
    async with db.transaction() as session:
        assistant = await load_demo(session, workspace_id=account.workspace_id)
    return DemoShop(account, assistant)
