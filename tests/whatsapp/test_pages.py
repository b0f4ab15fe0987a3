"""WhatsApp dashboard pages: connect form, status, disconnect, templates; the Messages page."""

from __future__ import annotations

import httpx

from repdesk.db.engine import Database
from repdesk.jobs.worker import Worker
from tests.factories import Account, create_assistant, signed_in
from tests.fakes.graph import FakeGraph
from tests.whatsapp.helpers import forget_app_secret


async def _setup(client: httpx.AsyncClient, db: Database) -> tuple[Account, str]:
    account = await signed_in(client, db)
    assistant = await create_assistant(
        db, workspace_id=account.workspace_id, name="Fabric <b>sales</b>"
    )
    return account, assistant.id


def form(account: Account, graph: FakeGraph, **over: str) -> dict[str, str]:
    data = {
        "csrf_token": account.csrf,
        "access_token": graph.access_token,
        "phone_number_id": graph.phone_number_id,
        "business_account_id": graph.business_account_id,
        "phone_number": graph.e164,
        "app_secret": "page-app-secret",
    }
    data.update(over)
    return data


async def test_connect_page_form_status_and_disconnect(
    client: httpx.AsyncClient, db: Database, graph: FakeGraph
) -> None:
    account, aid = await _setup(client, db)
    page = await client.get(f"/assistants/{aid}/whatsapp")
    assert page.status_code == 200 and "Connect with API credentials" in page.text
    assert "Fabric &lt;b&gt;sales&lt;/b&gt;" in page.text and "<b>sales</b>" not in page.text
    assert (
        "Connect WhatsApp" in page.text
    )  # Embedded Signup offered (the fake Meta app is configured)
    bad = await client.post(
        f"/assistants/{aid}/whatsapp/credentials", data=form(account, graph, access_token="nope")
    )
    assert bad.status_code == 303 and "error=" in bad.headers["location"]
    no_secret = await client.post(
        f"/assistants/{aid}/whatsapp/credentials", data=form(account, graph, app_secret="")
    )
    assert (
        no_secret.status_code == 303
        and "appSecret%20is%20required" in no_secret.headers["location"]
    )
    ok = await client.post(f"/assistants/{aid}/whatsapp/credentials", data=form(account, graph))
    assert ok.status_code == 303 and "flash=" in ok.headers["location"]
    page = await client.get(f"/assistants/{aid}/whatsapp")
    assert "● Connected" in page.text and graph.verified_name.replace("'", "&#39;") in page.text
    assert "/webhooks/whatsapp_cloud/" in page.text and "GREEN" in page.text
    assert 'data-testid="unsigned-warning"' not in page.text  # saved with its App Secret
    assert graph.access_token not in page.text
    graph.revoke()
    checked = await client.post(
        f"/assistants/{aid}/whatsapp/check", data={"csrf_token": account.csrf}
    )
    assert checked.status_code == 303
    page = await client.get(f"/assistants/{aid}/whatsapp")
    assert "● Disconnected" in page.text
    no_csrf = await client.post(
        f"/assistants/{aid}/whatsapp/disconnect", data={}, headers={"X-CSRF-Token": ""}
    )
    assert no_csrf.status_code in (303, 403)
    assert "● Disconnected" in (await client.get(f"/assistants/{aid}/whatsapp")).text  # still there
    gone = await client.post(
        f"/assistants/{aid}/whatsapp/disconnect", data={"csrf_token": account.csrf}
    )
    assert gone.status_code == 303
    page = await client.get(f"/assistants/{aid}/whatsapp")
    assert "● Connected" not in page.text and "● Disconnected" not in page.text


async def test_a_connection_without_app_secret_is_shown_as_not_secured_everywhere(
    client: httpx.AsyncClient, db: Database, graph: FakeGraph
) -> None:
    account, aid = await _setup(client, db)
    widget = await create_assistant(
        db, workspace_id=account.workspace_id, name="Site", platform="widget"
    )
    ok = await client.post(f"/assistants/{aid}/whatsapp/credentials", data=form(account, graph))
    assert ok.status_code == 303
    listing_pages = ("/assistants", "/dashboard", f"/assistants/{aid}")
    for url in listing_pages:
        page = await client.get(url)
        assert page.status_code == 200 and 'data-testid="not-secured"' not in page.text, url
    await forget_app_secret(db)  # saved before the App Secret was required

    page = await client.get(f"/assistants/{aid}/whatsapp")
    assert 'data-testid="unsigned-warning"' in page.text
    assert "refuses every webhook post" in page.text and "App settings → Basic" in page.text
    for url in listing_pages:
        page = await client.get(url)
        assert page.text.count('data-testid="not-secured"') == 1, url
        assert f'href="/assistants/{aid}/whatsapp"' in page.text
    page = await client.get(f"/assistants/{widget.id}")
    assert 'data-testid="not-secured"' not in page.text

    saved = await client.post(
        f"/assistants/{aid}/whatsapp/app-secret",
        data={"csrf_token": account.csrf, "app_secret": "from-the-page"},
    )
    assert saved.status_code == 303 and "flash=" in saved.headers["location"]
    for url in (*listing_pages, f"/assistants/{aid}/whatsapp"):
        page = await client.get(url)
        assert "not-secured" not in page.text and "unsigned-warning" not in page.text, url


async def test_templates_page_lists_synced_templates(
    client: httpx.AsyncClient, db: Database, graph: FakeGraph, worker: Worker
) -> None:
    account, aid = await _setup(client, db)
    assert (
        "Connect a WhatsApp number first" in (await client.get(f"/assistants/{aid}/templates")).text
    )
    graph.templates[graph.business_account_id].append(
        graph.template("xss_<i>", "en_US", "REJECTED", body="<img src=x>")
    )
    await client.post(f"/assistants/{aid}/whatsapp/credentials", data=form(account, graph))
    r = await client.post(f"/assistants/{aid}/templates/sync", data={"csrf_token": account.csrf})
    assert r.status_code == 303 and "flash=" in r.headers["location"]
    page = (await client.get(f"/assistants/{aid}/templates")).text
    assert "order_confirmation" in page and "approved" in page and "pending" in page
    assert "&lt;img src=x&gt;" in page and "<img src=x>" not in page


async def test_messages_page_is_in_the_assistant_menu(
    client: httpx.AsyncClient, db: Database
) -> None:
    _, aid = await _setup(client, db)
    page = await client.get(f"/assistants/{aid}/messages")
    assert page.status_code == 200
    assert (
        f'href="/assistants/{aid}/messages"' in page.text and "/static/inbox/inbox.js" in page.text
    )
    js = await client.get("/static/inbox/inbox.js")
    assert js.status_code == 200 and "innerHTML" not in js.text
    client.cookies.clear()
    anon = await client.get(f"/assistants/{aid}/messages")
    assert anon.status_code == 303 and anon.headers["location"].startswith("/login")
