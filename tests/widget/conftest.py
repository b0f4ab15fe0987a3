"""Fixtures for the web widget: a signed-in owner with a widget assistant whose allowed domains
include the test pages' origins (the fake speech-to-text server: tests/fakes/transcription.py)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx
import pytest_asyncio

from repdesk.db.engine import Database
from tests.factories import Account, create_assistant, signed_in

ORIGIN = "https://shop.example.com"


@dataclass
class WidgetSetup:
    account: Account
    assistant_id: str
    public_id: str
    settings: dict[str, Any]

    @property
    def api(self) -> str:
        return f"/widget/v1/{self.public_id}"


async def make_widget(
    client: httpx.AsyncClient, db: Database, *, domains: list[str] | None = None
) -> WidgetSetup:
    account = await signed_in(client, db)
    assistant = await create_assistant(
        db, workspace_id=account.workspace_id, name="Web sales", platform="widget"
    )
    r = await client.patch(
        f"/api/assistants/{assistant.id}/widget",
        json={"allowedDomains": domains if domains is not None else ["shop.example.com"]},
    )
    assert r.status_code == 200, r.text
    body = r.json()
    return WidgetSetup(account, assistant.id, body["publicId"], body)


@pytest_asyncio.fixture
async def widget_setup(client: httpx.AsyncClient, db: Database) -> WidgetSetup:
    return await make_widget(client, db)


async def visitor(client: httpx.AsyncClient, setup: WidgetSetup, origin: str = ORIGIN) -> str:
    r = await client.post(f"{setup.api}/session", json={}, headers={"Origin": origin})
    assert r.status_code == 200, r.text
    return str(r.json()["token"])


def vh(token: str, origin: str = ORIGIN) -> dict[str, str]:
    return {"Origin": origin, "X-Widget-Token": token}
