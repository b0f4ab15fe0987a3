from __future__ import annotations

import pytest_asyncio

from repdesk.assistants.models import Assistant
from repdesk.db.engine import Database
from tests.factories import create_account, create_assistant


@pytest_asyncio.fixture
async def assistant(db: Database) -> Assistant:
    _user, ws = await create_account(db)
    return await create_assistant(db, workspace_id=ws.id)
