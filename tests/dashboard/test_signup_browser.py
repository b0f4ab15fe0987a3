"""A new business owner, in a real browser: register, verify by the emailed link, log in,
create an assistant, see it listed, and see the 20 free credits."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from tests.conftest import LiveServer
from tests.factories import outbox_messages, verify_token_from

pytestmark = pytest.mark.browser


def wait_for_email(data_dir: Path, timeout: float = 10) -> dict[str, str]:
    deadline = time.time() + timeout
    while time.time() < deadline:
        mails = outbox_messages(data_dir)
        if mails:
            return mails[-1]
        time.sleep(0.05)
    raise AssertionError("no email reached the outbox")


def test_register_verify_login_create_assistant(
    live_server: LiveServer, page, data_dir: Path
) -> None:
    page.goto(f"{live_server.url}/")
    page.get_by_role("link", name="Create an account").click()
    page.get_by_label("Email").fill("ada@shop.example")
    page.get_by_label("Password").fill("a-long-password")
    page.get_by_label("Business name").fill("Ada's Fabrics")
    page.get_by_role("button", name="Create account").click()
    page.get_by_role("heading", name="Check your email").wait_for()

    mail = wait_for_email(data_dir)
    link = next(line for line in mail["body"].splitlines() if "/verify?token=" in line)
    assert link.startswith(live_server.url)  # built from REPDESK_PUBLIC_URL
    assert verify_token_from(mail["body"])
    page.goto(link)
    page.get_by_role("heading", name="Email verified").wait_for()
    page.get_by_role("link", name="Log in").click()

    page.get_by_label("Email").fill("ada@shop.example")
    page.get_by_label("Password").fill("a-long-password")
    page.get_by_role("button", name="Log in").click()
    page.get_by_role("heading", name="Welcome, Ada's Fabrics").wait_for()
    assert page.get_by_test_id("credit-balance").first.inner_text().strip() == "20"

    page.get_by_role("link", name="Create Assistant").first.click()
    page.get_by_label("WhatsApp").check()
    page.get_by_label("Name").fill("Fabric sales")
    page.get_by_role("button", name="Create").click()
    page.get_by_text("Assistant created.").wait_for()

    page.goto(f"{live_server.url}/assistants")
    table = page.get_by_test_id("assistant-table")
    assert "Fabric sales" in table.inner_text()
    assert "WhatsApp" in table.inner_text()

    page.goto(f"{live_server.url}/billing")
    assert "Free credits to get started" in page.get_by_test_id("ledger").inner_text()


def test_phone_sized_screen_has_a_menu(live_server: LiveServer, browser) -> None:
    context = browser.new_context(viewport={"width": 390, "height": 800})
    pg = context.new_page()
    pg.goto(f"{live_server.url}/login")
    assert pg.get_by_role("button", name="Log in").is_visible()
    box = pg.get_by_label("Email").bounding_box()
    assert box is not None and box["width"] <= 390
    context.close()
