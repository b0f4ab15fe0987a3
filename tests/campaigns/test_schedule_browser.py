"""Scheduling in a real browser: a message scheduled on the Schedule page and one from the
inbox's "Send later" both reach the fake Graph API at their minute and show as sent."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from repdesk.assistants.models import Assistant
from repdesk.channels.whatsapp import service as wa
from repdesk.conversations import service as conversations
from repdesk.db.engine import Database
from tests.conftest import LiveServer
from tests.factories import create_account, create_assistant, run_sync
from tests.fakes.graph import FakeGraph
from tests.whatsapp.helpers import APP_SECRET

pytestmark = pytest.mark.browser

EMAIL, PASSWORD = "owner@shop.test", "correct horse battery"
CUSTOMER = "+2348031234567"


async def setup(database_url: str) -> str:
    """A connected WhatsApp assistant and a customer who wrote a moment ago (window open)."""
    db = Database(database_url)
    try:
        _, ws = await create_account(db, email=EMAIL, password=PASSWORD)
        assistant = await create_assistant(db, workspace_id=ws.id, name="Shop")
        async with db.transaction() as session:
            a = await session.get(Assistant, assistant.id)
            assert a is not None
            await wa.connect_byok(
                session,
                a,
                access_token="EAAG-test-token",
                phone_number_id="106540352242922",
                business_account_id="102290129340398",
                phone_number="+15550783881",
                app_secret=APP_SECRET,
            )
            await conversations.record_inbound(
                session,
                assistant=a,
                channel="whatsapp",
                type="text",
                text="Remind me tomorrow",
                phone=CUSTOMER,
                name="Ada",
                trigger_ai=False,
            )
        return assistant.id
    finally:
        await db.dispose()


def _sent_bodies(graph: FakeGraph) -> list[str]:
    return [s["text"]["body"] for s in graph.sent if s.get("type") == "text"]


def test_a_message_scheduled_on_the_page_and_in_the_inbox_is_sent_at_its_time(
    live_server: LiveServer, graph: FakeGraph, database_url: str, page: Any
) -> None:
    aid = run_sync(setup(database_url))
    page.goto(f"{live_server.url}/login")
    page.get_by_label("Email").fill(EMAIL)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url("**/dashboard")

    # The next whole minute at least 20 s away (the form's times are to the minute).
    now = datetime.now(UTC)
    due = (now + timedelta(seconds=80)).replace(second=0, microsecond=0)
    if (due - now).total_seconds() > 80:
        due -= timedelta(minutes=1)

    page.goto(f"{live_server.url}/assistants/{aid}/schedule")
    page.get_by_test_id("schedule-contact").select_option(label=f"Ada ({CUSTOMER})")
    page.get_by_test_id("schedule-text").fill("Your appointment is at 3 pm")
    page.get_by_test_id("schedule-date").fill(f"{due:%Y-%m-%d}")
    page.get_by_test_id("schedule-time").fill(f"{due:%H:%M}")
    page.get_by_test_id("schedule-zone").select_option("UTC")
    page.get_by_role("button", name="Schedule", exact=True).click()
    page.wait_for_url("**/schedule?flash=*")
    upcoming = page.get_by_test_id("schedule-scheduled")
    assert "Your appointment is at 3 pm" in upcoming.inner_text()
    assert f"{due:%Y-%m-%d %H:%M} (UTC)" in upcoming.inner_text()

    # "Send later" from the inbox, for the open conversation, at the same minute.
    page.goto(f"{live_server.url}/assistants/{aid}/messages")
    page.get_by_test_id("conversation").first.click()
    page.get_by_placeholder("Write a reply…").fill("See you soon")
    page.get_by_test_id("send-later").locator("summary").click()
    local = page.evaluate(
        "ms => { const d = new Date(ms); const p = n => String(n).padStart(2, '0');"
        " return d.getFullYear() + '-' + p(d.getMonth() + 1) + '-' + p(d.getDate()) + 'T' +"
        " p(d.getHours()) + ':' + p(d.getMinutes()); }",
        int(due.timestamp() * 1000),
    )
    page.get_by_test_id("send-later-at").fill(local)
    page.get_by_test_id("send-later-button").click()
    page.get_by_test_id("send-later-note").get_by_text("Scheduled for").wait_for()
    assert _sent_bodies(graph) == []  # nothing before its time

    deadline = time.time() + (due - datetime.now(UTC)).total_seconds() + 20
    while time.time() < deadline and len(_sent_bodies(graph)) < 2:
        time.sleep(0.2)
    sent_at = datetime.now(UTC)
    assert sorted(_sent_bodies(graph)) == ["See you soon", "Your appointment is at 3 pm"]
    assert datetime.now(UTC) >= due and (sent_at - due).total_seconds() < 10
    assert all(s["to"] == CUSTOMER for s in graph.sent)

    page.goto(f"{live_server.url}/assistants/{aid}/schedule")
    sent = page.get_by_test_id("schedule-sent")
    assert sent.get_by_test_id("scheduled-row").count() == 2
    assert "See you soon" in sent.inner_text() and "Your appointment" in sent.inner_text()
    assert page.get_by_test_id("schedule-scheduled").get_by_test_id("scheduled-row").count() == 0
