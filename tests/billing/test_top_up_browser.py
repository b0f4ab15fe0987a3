"""Buying credits in a real browser: the Billing page sends the owner to the fake Paystack's
checkout, its Pay button returns them to the return page with the credits added, and a
Billing page left open in another tab shows the new balance and ledger entry without a
reload."""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.conftest import LiveServer
from tests.factories import seed_owner
from tests.fakes.paystack import FakePaystack

pytestmark = pytest.mark.browser

PASSWORD = "a-long-password"


def login(page: Any, server: LiveServer, email: str) -> None:
    page.goto(f"{server.url}/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(re.compile(r".*/dashboard"))


def test_top_up_500_credits_through_the_checkout(
    paystack: FakePaystack, live_server: LiveServer, page: Any, database_url: str
) -> None:
    email = "topup-browser@shop.test"
    seed_owner(database_url, email=email)
    paystack.webhook_url = f"{live_server.url}/webhooks/paystack"
    login(page, live_server, email)

    # A second tab keeps the Billing page open: it must update by itself.
    watcher = page.context.new_page()
    watcher.goto(f"{live_server.url}/billing")
    assert watcher.get_by_test_id("credit-balance").inner_text() == "20"

    page.goto(f"{live_server.url}/billing")
    page.get_by_label("Currency").select_option("NGN")
    assert page.locator("input[name=package][value='500']").is_checked()
    page.get_by_test_id("buy-credits").click()
    page.wait_for_url(re.compile(re.escape(paystack.url) + r"/checkout/.*"))
    assert "NGN 5,000.00" in page.get_by_role("heading").inner_text()
    page.get_by_role("button", name=re.compile("Pay")).click()

    page.wait_for_url(re.compile(r".*/billing/top-ups/return\?.*reference=rdtu-.*"))
    result = page.get_by_test_id("top-up-result")
    assert result.get_attribute("data-state") == "success"
    assert page.get_by_test_id("credit-balance").inner_text() == "520"
    assert paystack.webhooks_sent == [200]

    # The open tab: balance and the purchase row, no reload.
    watcher.get_by_test_id("credit-balance").filter(has_text="520").wait_for()
    watcher.locator("#ledger-rows tr", has_text="+500").first.wait_for()

    page.goto(f"{live_server.url}/billing")
    ledger = page.get_by_test_id("ledger")
    row = ledger.locator("tbody tr").first
    assert "purchase" in row.inner_text() and "+500" in row.inner_text()
    assert "rdtu-" in row.inner_text()  # the Paystack reference
    assert ledger.locator("tbody tr", has_text="+500").count() == 1  # credited once
    row.get_by_role("link", name="Receipt").click()
    receipt = page.get_by_test_id("receipt")
    assert "₦5,000.00" in receipt.inner_text() and "500 repdesk credits" in receipt.inner_text()


def test_minimum_is_enforced_on_the_page(
    paystack: FakePaystack, live_server: LiveServer, page: Any, database_url: str
) -> None:
    email = "topup-min@shop.test"
    seed_owner(database_url, email=email)
    login(page, live_server, email)
    page.goto(f"{live_server.url}/billing")
    page.get_by_label("Custom credits").fill("50")
    page.get_by_test_id("buy-credits").click()
    page.locator("#top-up-error", has_text="minimum top-up is 100 credits").wait_for()
    page.get_by_label("Currency").select_option("GBP")
    assert page.locator("#usd-note").is_visible()
    assert not paystack.calls("/transaction/initialize")
