"""Fixtures for the Developer API: an account with a WhatsApp assistant and API keys."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from sqlalchemy import update

from repdesk.accounts.models import Workspace
from repdesk.assistants.models import Assistant
from repdesk.conversations import service as conversations
from repdesk.db.engine import Database
from repdesk.developer_api import service as keys
from repdesk.developer_api.config import reset_api_settings
from tests.campaigns.conftest import no_broadcast_pause  # noqa: F401  (autouse fixture)
from tests.factories import create_account, create_assistant


@pytest.fixture(autouse=True)
def fast_api_settings(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Webhook retries in milliseconds (broadcasts: no pause, ``no_broadcast_pause``); the
    seed's rate limits stay."""
    monkeypatch.setenv("REPDESK_WEBHOOK_RETRY_SCHEDULE", "0.05,0.1,0.2,0.4,0.8")
    monkeypatch.setenv("REPDESK_WEBHOOK_TIMEOUT_SECONDS", "1")
    reset_api_settings()
    yield
    reset_api_settings()


@dataclass
class Tenant:
    workspace_id: str
    assistant: Assistant
    live_key: str
    test_key: str

    def headers(self, *, sandbox: bool = False) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.test_key if sandbox else self.live_key}"}


async def make_tenant(
    db: Database,
    *,
    email: str = "dev@shop.test",
    business: str = "Ada's Shop",
    phone: str | None = "+2348000000001",
    credits: int | None = None,
) -> Tenant:
    _user, ws = await create_account(db, email=email, business_name=business)
    assistant = await create_assistant(db, workspace_id=ws.id, name="Sales bot")
    async with db.transaction() as session:
        a = await session.get(Assistant, assistant.id)
        assert a is not None
        a.channel_address = phone
        live = await keys.create_key(session, assistant=a, name="server", environment="live")
        test = await keys.create_key(session, assistant=a, name="sandbox", environment="test")
        if credits is not None:
            await session.execute(
                update(Workspace).where(Workspace.id == ws.id).values(credits=credits)
            )
        assistant = a
    return Tenant(ws.id, assistant, live.raw, test.raw)


@pytest.fixture
async def tenant(db: Database) -> Tenant:
    return await make_tenant(db)


async def customer_writes(
    db: Database,
    assistant: Assistant,
    *,
    phone: str,
    text: str,
    name: str | None = None,
    external_id: str | None = None,
    **kw: Any,
) -> conversations.Inbound:
    """A customer message recorded through the pipeline (as the WhatsApp webhook would)."""
    async with db.transaction() as session:
        a = await session.get(Assistant, assistant.id)
        assert a is not None
        return await conversations.record_inbound(
            session,
            assistant=a,
            channel="whatsapp",
            type="text",
            text=text,
            phone=phone,
            name=name,
            external_id=external_id,
            trigger_ai=False,
            **kw,
        )


async def connected_tenant(
    db: Database, fake_graph: Any, *, email: str = "owner@shop.test", credits: int | None = None
) -> Tenant:
    """An assistant connected to the fake Graph API (BYOK), with a live and a sandbox key."""
    from tests.whatsapp.helpers import connected_assistant

    assistant, _conn = await connected_assistant(db, fake_graph, email=email)
    async with db.transaction() as session:
        a = await session.get(Assistant, assistant.id)
        assert a is not None
        live = await keys.create_key(session, assistant=a, name="server", environment="live")
        test = await keys.create_key(session, assistant=a, name="sandbox", environment="test")
        if credits is not None:
            await session.execute(
                update(Workspace).where(Workspace.id == a.workspace_id).values(credits=credits)
            )
    return Tenant(a.workspace_id, a, live.raw, test.raw)


async def balance(db: Database, workspace_id: str) -> int:
    async with db.session() as session:
        ws = await session.get(Workspace, workspace_id)
        assert ws is not None
        return ws.credits
