"""The owner tries the assistant in the playground, in a real browser."""

from __future__ import annotations

import pytest

from tests.conftest import LiveServer
from tests.factories import seed_owner

pytestmark = pytest.mark.browser


def test_playground_chat_order_and_correction(
    live_server: LiveServer, page, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("REPDESK_EMBEDDINGS", "off")
    assistant_id = seed_owner(database_url, email="pg@shop.test", demo=True)
    page.goto(f"{live_server.url}/login")
    page.get_by_label("Email").fill("pg@shop.test")
    page.get_by_label("Password").fill("a-long-password")
    page.get_by_role("button", name="Log in").click()
    page.goto(f"{live_server.url}/assistants/{assistant_id}/playground")

    box = page.get_by_label("Message")
    box.fill("How much is the <b>ankara maxi dress</b>?")
    page.get_by_role("button", name="Send").click()
    reply = page.locator(".pg-assistant").first
    reply.wait_for()
    assert "₦18,500" in reply.inner_text()
    # The customer's text is shown as text, not HTML.
    assert "<b>ankara maxi dress</b>" in page.locator(".pg-customer").first.inner_text()

    box.fill("Do you have a loyalty card?")
    page.get_by_role("button", name="Send").click()
    page.locator(".pg-assistant").nth(1).wait_for()
    assert "check with the team" in page.locator(".pg-assistant").nth(1).inner_text()
    page.get_by_role("button", name="Correct this answer").nth(1).click()
    page.get_by_label("The right answer").fill("Yes, every 5th order gets a free gele.")
    page.get_by_role("button", name="Save correction").click()
    page.get_by_text("Correction saved to the knowledge base.").wait_for()

    box.fill("Do you have a loyalty card?")
    page.get_by_role("button", name="Send").click()
    page.locator(".pg-assistant").nth(2).wait_for()
    assert "every 5th order" in page.locator(".pg-assistant").nth(2).inner_text()
