"""The dashboard works under its Content-Security-Policy: a real browser reports no violation
on the pages with scripts of their own, and the widget preview keeps its styles."""

from __future__ import annotations

import pytest

from tests.conftest import LiveServer
from tests.factories import seed_owner

pytestmark = pytest.mark.browser


def test_pages_run_under_the_policy_without_violations(
    live_server: LiveServer, page, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("REPDESK_EMBEDDINGS", "off")
    assistant_id = seed_owner(database_url, email="csp@shop.test", demo=True)
    violations: list[str] = []
    page.on(
        "console",
        lambda m: violations.append(m.text) if "Content Security Policy" in m.text else None,
    )
    page.goto(f"{live_server.url}/login")
    page.get_by_label("Email").fill("csp@shop.test")
    page.get_by_label("Password").fill("a-long-password")
    page.get_by_role("button", name="Log in").click()
    page.wait_for_load_state()
    for path in (
        f"/assistants/{assistant_id}/playground",
        f"/assistants/{assistant_id}/messages",
        f"/assistants/{assistant_id}/knowledge",
        f"/assistants/{assistant_id}/catalog",
        f"/assistants/{assistant_id}/whatsapp",
        "/v1/reference",
    ):
        page.goto(live_server.url + path)
        page.wait_for_load_state("networkidle")
    page.goto(f"{live_server.url}/assistants/{assistant_id}/widget")
    launcher = page.locator("repdesk-widget").locator(".launcher")
    launcher.wait_for()
    # The shadow DOM's <style> applied (blocked, the launcher would be a bare static button).
    assert launcher.evaluate("el => getComputedStyle(el).position") in ("fixed", "absolute")
    page.goto(f"{live_server.url}/v1/reference")
    page.locator(".op").first.wait_for()  # the reference page's own script rendered it
    assert violations == []
