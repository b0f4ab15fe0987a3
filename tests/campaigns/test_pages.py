"""The Broadcasts page: a broadcast created through the form (with CSRF) and listed with its
progress."""

from __future__ import annotations

import httpx

from repdesk.db.engine import Database
from repdesk.jobs.worker import Worker
from tests.factories import Account, create_assistant, signed_in


async def _setup(client: httpx.AsyncClient, db: Database) -> tuple[Account, str]:
    account = await signed_in(client, db)
    assistant = await create_assistant(db, workspace_id=account.workspace_id)
    return account, assistant.id


async def test_broadcast_page_creates_and_lists(
    client: httpx.AsyncClient, db: Database, worker: Worker
) -> None:
    account, aid = await _setup(client, db)
    r = await client.post(
        f"/assistants/{aid}/broadcasts",
        data={
            "kind": "text",
            "text": "Sale <b>today</b>",
            "recipients": "+2348012345678\n+2348012345679",
            "name": "Friday",
            "csrf_token": account.csrf,
        },
    )
    assert r.status_code == 303 and "flash=" in r.headers["location"]
    await worker.drain()
    page = await client.get(f"/assistants/{aid}/broadcasts")
    assert page.status_code == 200 and "Friday" in page.text
    assert "completed" in page.text  # both skipped: nobody wrote, so no open window
    r = await client.post(
        f"/assistants/{aid}/broadcasts",
        data={"kind": "text", "text": "x", "recipients": "0801", "csrf_token": account.csrf},
    )
    assert r.status_code == 303 and "error=" in r.headers["location"]


async def test_broadcasts_page_is_in_the_menu_of_whatsapp_assistants_only(
    client: httpx.AsyncClient, db: Database
) -> None:
    account, aid = await _setup(client, db)
    page = await client.get(f"/assistants/{aid}/broadcasts")
    assert page.status_code == 200 and f'href="/assistants/{aid}/broadcasts"' in page.text
    widget = await create_assistant(db, workspace_id=account.workspace_id, platform="widget")
    assert (await client.get(f"/assistants/{widget.id}/broadcasts")).status_code == 404
    r = await client.post(
        f"/assistants/{widget.id}/broadcasts",
        data={
            "kind": "text",
            "text": "x",
            "recipients": "+2348012345678",
            "csrf_token": account.csrf,
        },
    )
    assert r.status_code == 404
