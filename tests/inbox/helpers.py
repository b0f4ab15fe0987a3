"""Helpers for the inbox tests: a signed-in owner's WhatsApp assistant, connected to the fake
Graph API through the real credentials API."""

from __future__ import annotations

import httpx

from repdesk.db.engine import Database
from tests.factories import create_assistant, signed_in
from tests.fakes.graph import FakeGraph


async def setup_whatsapp(
    client: httpx.AsyncClient, db: Database, graph: FakeGraph
) -> tuple[str, str]:
    account = await signed_in(client, db)
    assistant = await create_assistant(db, workspace_id=account.workspace_id)
    r = await client.post(
        f"/api/assistants/{assistant.id}/whatsapp/credentials",
        json={
            "accessToken": graph.access_token,
            "phoneNumberId": graph.phone_number_id,
            "businessAccountId": graph.business_account_id,
            "phoneNumber": graph.e164,
            "appSecret": "test-app-secret-0123456789",
        },
    )
    assert r.status_code == 200, r.text
    return assistant.id, r.json()["webhookUrl"].replace("http://testserver", "")
