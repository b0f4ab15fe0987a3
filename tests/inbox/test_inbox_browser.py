"""The inbox in a real browser: a message posted to the webhook appears in an open inbox
without a reload, a manual reply reaches the fake Graph API, and its ticks update live."""

from __future__ import annotations

import time
from typing import Any

import httpx
import pytest

from repdesk.assistants.models import Assistant
from repdesk.channels.whatsapp import service as wa
from repdesk.db.engine import Database
from tests.conftest import LiveServer
from tests.factories import create_account, create_assistant, run_sync
from tests.fakes.graph import FakeGraph
from tests.whatsapp.helpers import APP_SECRET, dumps, envelope, sign, text

pytestmark = pytest.mark.browser

EMAIL, PASSWORD = "agent@shop.test", "correct horse battery"


async def setup(database_url: str) -> tuple[str, str]:
    db = Database(database_url)
    try:
        _, ws = await create_account(db, email=EMAIL, password=PASSWORD)
        assistant = await create_assistant(db, workspace_id=ws.id, name="Shop")
        async with db.transaction() as session:
            a = await session.get(Assistant, assistant.id)
            assert a is not None
            conn = await wa.connect_byok(
                session,
                a,
                access_token="EAAG-test-token",
                phone_number_id="106540352242922",
                business_account_id="102290129340398",
                phone_number="+15550783881",
                app_secret=APP_SECRET,
            )
            return assistant.id, conn.webhook_path
    finally:
        await db.dispose()


def post_webhook(server: LiveServer, path: str, payload: dict[str, Any]) -> None:
    body = dumps(payload)
    r = httpx.post(
        f"{server.url}/webhooks/whatsapp_cloud/{path}",
        content=body,
        headers={"x-hub-signature-256": sign(body), "content-type": "application/json"},
    )
    assert r.status_code == 200, r.text


def test_webhook_message_appears_live_and_reply_reaches_graph(
    live_server: LiveServer, graph: FakeGraph, database_url: str, page: Any
) -> None:
    aid, path = run_sync(setup(database_url))
    page.goto(f"{live_server.url}/login")
    page.get_by_label("Email").fill(EMAIL)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url("**/dashboard")
    page.goto(f"{live_server.url}/assistants/{aid}/messages")
    page.get_by_test_id("live-status").get_by_text("Live").wait_for()
    page.evaluate("window.__noReload = true")

    post_webhook(
        live_server,
        path,
        envelope(graph, messages=[text("Is the <b>blue</b> one in stock?")], name="Ada <script>"),
    )
    item = page.get_by_test_id("conversation").first
    item.wait_for()
    assert "Ada <script>" in item.inner_text() and "WhatsApp" in item.inner_text()
    item.click()
    bubble = page.get_by_test_id("message").first
    bubble.wait_for()
    assert bubble.inner_text().startswith(
        "Is the <b>blue</b> one in stock?"
    )  # shown as text, not markup
    assert page.locator("#messages b").count() == 0
    assert page.get_by_test_id("window-state").inner_text().startswith("Service window open")

    # Take over from the AI, then answer by hand.
    page.get_by_test_id("ai-switch").uncheck()
    page.get_by_placeholder("Write a reply…").fill("Yes, *blue* is in stock.")
    page.get_by_role("button", name="Send", exact=True).click()
    deadline = time.time() + 15
    while time.time() < deadline and not any(
        s.get("text", {}).get("body") == "Yes, *blue* is in stock." for s in graph.sent
    ):
        time.sleep(0.05)
    sent = [s for s in graph.sent if s.get("type") == "text"]
    assert (
        sent
        and sent[-1]["text"]["body"] == "Yes, *blue* is in stock."
        and sent[-1]["to"] == "+2348031234567"
    )
    out = page.locator("li.msg.out").last
    out.locator(".status.sent").wait_for()

    # Meta reports it read: the ticks change without a reload.
    wamid = page.evaluate(
        "fetch('/api/conversations/' + new URL(location.href).searchParams.get('c') + "
        "'/messages').then(r => r.json()).then(p => p.data[0].externalId)"
    )
    post_webhook(
        live_server,
        path,
        envelope(
            graph,
            statuses=[
                {
                    "id": wamid,
                    "status": "read",
                    "timestamp": str(int(time.time())),
                    "recipient_id": "2348031234567",
                }
            ],
        ),
    )
    page.locator("li.msg.out").last.locator(".status.read").wait_for()

    # A second customer message lands in the open conversation live too.
    post_webhook(live_server, path, envelope(graph, messages=[text("Great, I'll take it")]))
    page.get_by_test_id("messages").get_by_text("Great, I'll take it").wait_for()
    assert page.evaluate("window.__noReload") is True
