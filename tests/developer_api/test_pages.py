"""The Developer API page: keys shown once, revoke, webhooks with their delivery log and
redeliver. Through the real pages with CSRF (the Broadcasts page: tests/campaigns)."""

from __future__ import annotations

import re

import httpx
import pytest
from sqlalchemy import func, select

from repdesk.db.engine import Database
from repdesk.developer_api.config import reset_api_settings
from repdesk.developer_api.models import ApiKey, WebhookDelivery
from repdesk.jobs.worker import Worker
from tests.developer_api.conftest import customer_writes
from tests.factories import Account, create_assistant, signed_in


async def _setup(client: httpx.AsyncClient, db: Database) -> tuple[Account, str]:
    account = await signed_in(client, db)
    assistant = await create_assistant(db, workspace_id=account.workspace_id)
    return account, assistant.id


async def test_keys_are_created_shown_once_and_revoked(
    client: httpx.AsyncClient, db: Database
) -> None:
    account, aid = await _setup(client, db)
    page = await client.get(f"/assistants/{aid}/developer")
    assert page.status_code == 200 and "Developer API" in page.text
    assert f'href="/assistants/{aid}/developer"' in page.text  # in the assistant menu

    r = await client.post(
        f"/assistants/{aid}/developer/keys",
        data={"name": "CRM <script>", "environment": "live", "csrf_token": account.csrf},
    )
    assert r.status_code == 201
    raw = re.search(r"rep_live_[A-Za-z0-9]{40}", r.text)
    assert raw is not None
    assert "CRM &lt;script&gt;" in r.text and "CRM <script>" not in r.text
    again = await client.get(f"/assistants/{aid}/developer")
    assert raw.group(0) not in again.text and f"rep_live_…{raw.group(0)[-4:]}" in again.text

    api = await client.get("/v1/account", headers={"Authorization": f"Bearer {raw.group(0)}"})
    assert api.status_code == 200

    async with db.session() as s:
        key_id = await s.scalar(select(ApiKey.id))
    r = await client.post(
        f"/assistants/{aid}/developer/keys/{key_id}/revoke", data={"csrf_token": account.csrf}
    )
    assert r.status_code == 303
    api = await client.get("/v1/account", headers={"Authorization": f"Bearer {raw.group(0)}"})
    assert api.status_code == 401

    # without the CSRF token nothing happens
    r = await client.post(
        f"/assistants/{aid}/developer/keys", data={"name": "x"}, headers={"X-CSRF-Token": ""}
    )
    assert r.status_code == 403
    async with db.session() as s:
        assert await s.scalar(select(func.count()).select_from(ApiKey)) == 1


async def test_webhook_delivery_log_and_redeliver(
    client: httpx.AsyncClient, db: Database, worker: Worker
) -> None:
    account, aid = await _setup(client, db)
    r = await client.post(
        f"/assistants/{aid}/developer/webhooks",
        data={
            "url": "http://127.0.0.1:9/unreachable",
            "events": ["message.received"],
            "csrf_token": account.csrf,
        },
    )
    assert r.status_code == 201 and re.search(r"whsec_[0-9a-f]{48}", r.text)
    from repdesk.assistants.models import Assistant

    async with db.session() as s:
        assistant = await s.get(Assistant, aid)
    assert assistant is not None
    await customer_writes(db, assistant, phone="+2348012345678", text="hello")
    await worker.drain()
    page = await client.get(f"/assistants/{aid}/developer")
    assert "message.received" in page.text and "Redeliver" in page.text
    assert "retrying" in page.text or "failed" in page.text

    async with db.session() as s:
        delivery = await s.scalar(select(WebhookDelivery))
        assert delivery is not None
        endpoint_id = delivery.endpoint_id
    r = await client.post(
        f"/assistants/{aid}/developer/webhooks/{endpoint_id}/deliveries/{delivery.id}/redeliver",
        data={"csrf_token": account.csrf},
    )
    assert r.status_code == 303
    async with db.session() as s:
        rows = list(await s.scalars(select(WebhookDelivery).order_by(WebhookDelivery.id)))
    assert len(rows) == 2 and rows[1].body == rows[0].body and rows[1].status == "pending"

    r = await client.post(
        f"/assistants/{aid}/developer/webhooks/{endpoint_id}/delete",
        data={"csrf_token": account.csrf},
    )
    assert r.status_code == 303
    assert "No webhooks yet" in (await client.get(f"/assistants/{aid}/developer")).text


async def test_pages_refuse_other_workspaces_and_widget_assistants(
    client: httpx.AsyncClient, db: Database
) -> None:
    account, _aid = await _setup(client, db)
    widget = await create_assistant(db, workspace_id=account.workspace_id, platform="widget")
    assert (await client.get(f"/assistants/{widget.id}/developer")).status_code == 404
    from tests.developer_api.conftest import make_tenant

    other = await make_tenant(db, email="rival@shop.test")
    assert (await client.get(f"/assistants/{other.assistant.id}/developer")).status_code == 404
    assert (await client.get(f"/assistants/{other.assistant.id}/broadcasts")).status_code == 404


async def test_webhook_management_api_with_log_and_redeliver(
    client: httpx.AsyncClient, db: Database, worker: Worker, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The log is read after the first attempt: retries a minute away, so that a slow drain
    # (the conftest's 50 ms retries) cannot make a second and third attempt first.
    monkeypatch.setenv("REPDESK_WEBHOOK_RETRY_SCHEDULE", "60,60,60,60,60")
    reset_api_settings()
    account, aid = await _setup(client, db)
    r = await client.post(
        f"/api/assistants/{aid}/webhooks",
        json={"url": "http://127.0.0.1:9/down", "events": ["message.received"]},
    )
    assert r.status_code == 201 and r.json()["secret"].startswith("whsec_")
    hook = r.json()
    listed = (await client.get(f"/api/assistants/{aid}/webhooks")).json()["data"]
    assert [h["id"] for h in listed] == [hook["id"]] and "secret" not in listed[0]

    from repdesk.assistants.models import Assistant

    async with db.session() as s:
        assistant = await s.get(Assistant, aid)
    assert assistant is not None
    await customer_writes(db, assistant, phone="+2348012345678", text="hello")
    await worker.drain()
    log = (await client.get(f"/api/webhooks/{hook['id']}/deliveries")).json()
    assert len(log["data"]) == 1 and log["data"][0]["attempts"] == 1
    entry = log["data"][0]
    assert entry["status"] == "retrying" and entry["responseCode"] is None and entry["lastError"]
    r = await client.post(f"/api/webhooks/{hook['id']}/deliveries/{entry['id']}/redeliver")
    assert r.status_code == 202 and r.json()["status"] == "pending"
    assert len((await client.get(f"/api/webhooks/{hook['id']}/deliveries")).json()["data"]) == 2

    # another workspace sees none of it
    other = httpx.AsyncClient(transport=client._transport, base_url="http://testserver")
    await signed_in(other, db, email="rival@shop.test")
    assert (await other.get(f"/api/webhooks/{hook['id']}/deliveries")).status_code == 404
    assert (await other.delete(f"/api/webhooks/{hook['id']}")).status_code == 404
    assert (await other.get(f"/api/assistants/{aid}/webhooks")).status_code == 404
    await other.aclose()
    assert (await client.delete(f"/api/webhooks/{hook['id']}")).status_code == 204
    assert account.workspace_id
