from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import httpx
import pytest
import pytest_asyncio

from repdesk.ai.demo import load_demo
from repdesk.assistants.models import Assistant
from repdesk.db.engine import Database
from tests.factories import Account, signed_in


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


@pytest.fixture(autouse=True)
def _bm25_only(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The engine's tests do not need embeddings (the built-in engine decides on lexical
    coverage); skipping the model keeps them fast on a shared 2-core machine."""
    from repdesk.knowledge.config import get_knowledge_settings

    monkeypatch.setenv("REPDESK_EMBEDDINGS", "off")
    get_knowledge_settings.cache_clear()
    yield
    get_knowledge_settings.cache_clear()
