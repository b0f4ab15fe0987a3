"""Credit top-ups through the operator's Paystack account: priced by the seed's table,
initialized on Paystack, credited once after a verify that agrees, by the payer's return."""

from __future__ import annotations

import httpx
import pytest

from repdesk.billing.config import reset_paystack_settings
from repdesk.db.engine import Database
from tests.billing.helpers import balance, count_top_ups, purchases, start_top_up
from tests.factories import Account
from tests.fakes.paystack import FakePaystack

RETURN = "/billing/top-ups/return"


async def test_return_after_paying_credits_once(
    client: httpx.AsyncClient, owner: Account, paystack: FakePaystack, db: Database
) -> None:
    started = await start_top_up(client, 500, "NGN")
    ref = started["reference"]
    assert started["authorizationUrl"].startswith(paystack.url + "/checkout/")
    assert (started["amount"], started["currency"], started["credits"]) == (500_000, "NGN", 500)
    sent = paystack.calls("/transaction/initialize")[0][2]
    assert sent["email"] == owner.email and sent["amount"] == 500_000
    assert sent["reference"] == ref and sent["currency"] == "NGN"
    assert sent["callback_url"] == "http://testserver" + RETURN
    assert sent["metadata"]["workspace_id"] == owner.workspace_id
    assert sent["metadata"]["credits"] == 500

    # Back before paying: nothing credited, still pending.
    page = await client.get(RETURN, params={"reference": ref, "trxref": ref})
    assert page.status_code == 200 and 'data-state="pending"' in page.text
    assert await balance(client) == 20

    paystack.pay(ref)
    for _ in range(3):  # the owner reloads the return page
        page = await client.get(RETURN, params={"reference": ref, "trxref": ref})
        assert 'data-state="success"' in page.text
    assert await balance(client) == 520
    assert await purchases(db, owner.workspace_id) == [(500, f"paystack:{ref}")]
    status = (await client.get(f"/api/billing/top-ups/{ref}")).json()
    assert status["state"] == "success" and status["paystackStatus"] == "success"

    billing_page = (await client.get("/billing")).text
    assert ref in billing_page and f"/billing/receipts/{ref}" in billing_page
    receipt = await client.get(f"/billing/receipts/{ref}")
    assert receipt.status_code == 200
    assert (
        "₦5,000.00" in receipt.text
        and ref in receipt.text
        and "500 repdesk credits" in receipt.text
    )


async def test_status_endpoint_verifies_a_pending_top_up(
    client: httpx.AsyncClient, owner: Account, paystack: FakePaystack
) -> None:
    ref = (await start_top_up(client, 1000, "USD"))["reference"]
    assert (await client.get(f"/api/billing/top-ups/{ref}")).json()["state"] == "pending"
    paystack.pay(ref)
    body = (await client.get(f"/api/billing/top-ups/{ref}")).json()
    assert body["state"] == "success" and body["amount"] == 1000 and body["currency"] == "USD"
    assert await balance(client) == 1020
    assert (await client.get("/api/billing/top-ups/rdtu-nope")).status_code == 404


async def test_declined_payment_is_shown_failed_and_credits_nothing(
    client: httpx.AsyncClient, owner: Account, paystack: FakePaystack
) -> None:
    ref = (await start_top_up(client))["reference"]
    paystack.decline_next()
    paystack.pay(ref)
    page = await client.get(RETURN, params={"reference": ref})
    assert 'data-state="failed"' in page.text and "Declined" in page.text
    assert await balance(client) == 20


async def test_paystack_down_on_return_leaves_it_pending(
    client: httpx.AsyncClient, owner: Account, paystack: FakePaystack
) -> None:
    ref = (await start_top_up(client))["reference"]
    paystack.pay(ref)
    paystack.fail_next("timeout", path_contains="verify")
    page = await client.get(RETURN, params={"reference": ref})
    assert page.status_code == 200 and 'data-state="pending"' in page.text
    assert await balance(client) == 20
    paystack.fail_next("5xx", path_contains="verify")
    r = await client.get(f"/api/billing/top-ups/{ref}")
    assert r.json()["state"] == "pending"
    page = await client.get(RETURN, params={"reference": ref})
    assert 'data-state="success"' in page.text
    assert await balance(client) == 520


@pytest.mark.parametrize(
    ("credits", "currency", "amount", "charged"),
    [
        (100, "NGN", 100_000, "NGN"),  # ₦1,000
        (100, "USD", 100, "USD"),  # $1.00
        (250, "GBP", 250, "USD"),  # the USD equivalent
        (1000, "eur", 1000, "USD"),
    ],
)
async def test_prices_follow_the_seed(
    client: httpx.AsyncClient,
    owner: Account,
    paystack: FakePaystack,
    credits: int,
    currency: str,
    amount: int,
    charged: str,
) -> None:
    started = await start_top_up(client, credits, currency)
    assert (started["amount"], started["currency"]) == (amount, charged)
    status = (await client.get(f"/api/billing/top-ups/{started['reference']}")).json()
    assert status["displayCurrency"] == currency.upper()


async def test_refused_top_ups(
    client: httpx.AsyncClient, owner: Account, paystack: FakePaystack, db: Database
) -> None:
    for body in (
        {"credits": 99, "currency": "NGN"},
        {"credits": 500, "currency": "JPY"},
        {"credits": "500", "currency": "NGN"},
        {"credits": 500.5, "currency": "NGN"},
    ):
        r = await client.post("/api/billing/top-ups", json=body)
        assert r.status_code in (400, 422) and r.json()["code"] == "VALIDATION_ERROR", body
    paystack.fail_next("5xx", path_contains="initialize")
    r = await client.post("/api/billing/top-ups", json={"credits": 500, "currency": "NGN"})
    assert r.status_code == 503 and r.json()["code"] == "PAYSTACK_UNAVAILABLE"
    assert await count_top_ups(db) == 0


async def test_without_a_key_top_ups_are_unavailable(
    client: httpx.AsyncClient, owner: Account, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("REPDESK_PAYSTACK_SECRET_KEY", "")
    reset_paystack_settings()
    r = await client.post("/api/billing/top-ups", json={"credits": 500, "currency": "NGN"})
    assert r.status_code == 409 and r.json()["code"] == "PAYSTACK_NOT_CONFIGURED"
    page = await client.get("/billing")
    assert page.status_code == 200 and "Top-ups are unavailable" in page.text
    reset_paystack_settings()


async def test_currencies_follow_the_setting(
    client: httpx.AsyncClient,
    owner: Account,
    paystack: FakePaystack,
    monkeypatch: pytest.MonkeyPatch,
    db: Database,
) -> None:
    monkeypatch.setenv("REPDESK_PAYSTACK_CURRENCIES", "NGN")
    reset_paystack_settings()
    for currency in ("USD", "GBP"):
        r = await client.post("/api/billing/top-ups", json={"credits": 500, "currency": currency})
        assert r.status_code == 400, currency
    page = (await client.get("/billing")).text
    assert '<option value="NGN">' in page and '<option value="USD">' not in page
    assert await count_top_ups(db) == 0
