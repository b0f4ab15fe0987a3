"""The Payments settings page, an order's payment card and actions, and /pay/done (where
Paystack returns a customer: verified before the order is paid)."""

from __future__ import annotations

import asyncio

import httpx
import pytest
from sqlalchemy import select

from repdesk.db.engine import Database
from repdesk.jobs.worker import Worker
from repdesk.orders.models import Order
from repdesk.payments.models import OrderPayment
from tests.factories import Account
from tests.fakes.paystack import FakePaystack
from tests.payments.test_order_payments import KEY_A, configure, order_in_chat, order_of, texts


async def test_settings_page_saves_key_and_instructions(
    client: httpx.AsyncClient, owner: Account, paystack: FakePaystack
) -> None:
    page = await client.get("/settings/payments")
    assert page.status_code == 200 and "No Paystack key" in page.text
    paystack.keys.add(KEY_A)
    r = await client.post(
        "/settings/payments",
        data={"paystack_secret_key": KEY_A, "instructions": "Pay to GTBank 0123456789"},
    )
    assert r.status_code == 303 and "error" not in r.headers["location"]
    page = (await client.get("/settings/payments")).text
    assert 'data-testid="paystack-mode">test<' in page
    assert "/webhooks/paystack/" in page and "GTBank 0123456789" in page and KEY_A not in page
    r = await client.post("/settings/payments", data={"paystack_secret_key": "sk_test_bad"})
    assert r.status_code == 303 and "error=" in r.headers["location"]
    body = (await client.get("/api/workspace/payments")).json()
    assert body["paystackConfigured"] and body["instructions"] == "Pay to GTBank 0123456789"


async def test_order_card_link_return_and_mark_paid(
    client: httpx.AsyncClient, owner: Account, paystack: FakePaystack, db: Database
) -> None:
    paystack.keys.add(KEY_A)
    await client.put("/api/workspace/payments", json={"paystackSecretKey": KEY_A})
    order_id = await order_in_chat(db, owner.workspace_id)
    order = await order_of(db, order_id)
    url = f"/assistants/{order.assistant_id}/orders/{order_id}"
    r = await client.post(f"{url}/payment-link", data={"email": "ada@shop.ng"})
    assert r.status_code == 303 and "Payment%20link%20ready" in r.headers["location"]
    async with db.session() as s:
        payment = await s.scalar(select(OrderPayment).where(OrderPayment.order_id == order_id))
        assert payment is not None
    card = (await client.get(url)).text
    assert payment.reference in card and payment.url in card

    # The customer comes back before paying: nothing changes; after paying: paid, told once.
    before = await client.get("/pay/done", params={"reference": payment.reference})
    assert "data-state='pending'" in before.text
    paystack.pay(payment.reference)
    for _ in range(2):
        done = await client.get("/pay/done", params={"reference": payment.reference})
        assert "data-state='paid'" in done.text
    assert (await order_of(db, order_id)).payment_status == "paid"
    assert len([t for t in await texts(db, order_id) if "Payment of" in t]) == 1
    unknown = await client.get("/pay/done", params={"reference": "rdop-unknown"})
    assert "could not find" in unknown.text

    cash = await order_in_chat(db, owner.workspace_id)
    cash_order = await order_of(db, cash)
    cash_url = f"/assistants/{cash_order.assistant_id}/orders/{cash}"
    r = await client.post(f"{cash_url}/mark-paid", data={"note": "bank transfer"})
    assert r.status_code == 303
    async with db.session() as s:
        paid = await s.get(Order, cash)
        assert paid is not None and paid.payment_status == "paid"
        assert any("bank transfer" in n["text"] for n in paid.notes)


@pytest.mark.postgres_only
async def test_return_and_webhook_at_once_pay_the_order_once(
    client: httpx.AsyncClient, owner: Account, paystack: FakePaystack, db: Database, worker: Worker
) -> None:
    path = await configure(client, paystack, KEY_A)
    for _ in range(3):
        order_id = await order_in_chat(db, owner.workspace_id)
        ref = (
            await client.post(f"/api/orders/{order_id}/payment-link", json={"email": "c@d.ng"})
        ).json()["reference"]
        paystack.pay(ref)
        body, headers = paystack.webhook(ref)
        await client.post(path, content=body, headers=headers)
        returns = asyncio.gather(
            *(client.get("/pay/done", params={"reference": ref}) for _ in range(3))
        )
        pages, _ = await asyncio.gather(returns, worker.drain())
        assert all("data-state='paid'" in p.text for p in pages)
        order = await order_of(db, order_id)
        assert order.payment_status == "paid"
        assert len([h for h in order.history if h.get("paymentStatus") == "paid"]) == 1
        assert len([t for t in await texts(db, order_id) if "Payment of" in t]) == 1
