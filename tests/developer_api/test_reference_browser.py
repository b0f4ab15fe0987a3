"""The offline API reference renders every endpoint from /v1/openapi.json in a real browser."""

from __future__ import annotations

import pytest

from tests.conftest import LiveServer

pytestmark = pytest.mark.browser


def test_reference_page_renders_every_endpoint(live_server: LiveServer, page) -> None:
    outside: list[str] = []
    page.on(
        "request",
        lambda req: outside.append(req.url) if not req.url.startswith(live_server.url) else None,
    )
    page.goto(f"{live_server.url}/v1/reference")
    page.locator("#ops section").first.wait_for()
    headings = page.locator("#ops h3").all_text_contents()
    assert any(h.startswith("POST") and h.endswith("/v1/messages/send") for h in headings), headings
    assert any(h.endswith("/v1/account") for h in headings)
    assert len(headings) >= 19
    assert "INVALID_API_KEY" in (page.locator("#intro").text_content() or "")
    assert outside == []  # no CDN, nothing fetched from elsewhere
