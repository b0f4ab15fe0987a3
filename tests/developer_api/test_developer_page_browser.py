"""A developer, in a real browser: opens the assistant's Developer API page, creates a key, sees
it once, uses it, revokes it."""

from __future__ import annotations

import re

import pytest
import requests

from tests.conftest import LiveServer
from tests.factories import seed_owner

pytestmark = pytest.mark.browser


def test_create_use_and_revoke_a_key_in_the_browser(live_server: LiveServer, page) -> None:
    assistant_id = seed_owner(
        live_server.app.state.db.url, email="dev@shop.example", name="Sales bot"
    )
    page.goto(f"{live_server.url}/login")
    page.get_by_label("Email").fill("dev@shop.example")
    page.get_by_label("Password").fill("a-long-password")
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(re.compile(r".*/dashboard"))

    page.goto(f"{live_server.url}/assistants/{assistant_id}")
    page.get_by_role("link", name="Developer API").first.click()
    page.get_by_role("heading", name="Developer API").wait_for()
    page.get_by_label("Key name").fill("Zapier <b>bold</b>")
    page.get_by_role("button", name="Create key").click()
    raw = page.locator("#new-key").text_content() or ""
    assert re.fullmatch(r"rep_live_[A-Za-z0-9]{40}", raw), raw
    assert page.get_by_role("cell", name="Zapier <b>bold</b>").is_visible()  # escaped text

    r = requests.get(
        f"{live_server.url}/v1/account", headers={"Authorization": f"Bearer {raw}"}, timeout=10
    )
    assert r.status_code == 200 and r.json()["assistant"]["id"] == assistant_id

    page.goto(f"{live_server.url}/assistants/{assistant_id}/developer")
    assert raw not in page.content()  # shown once only
    page.once("dialog", lambda d: d.accept())
    page.get_by_role("button", name="Revoke").click()
    page.get_by_text("revoked").first.wait_for()
    r = requests.get(
        f"{live_server.url}/v1/account", headers={"Authorization": f"Bearer {raw}"}, timeout=10
    )
    assert r.status_code == 401 and r.json()["code"] == "INVALID_API_KEY"
