"""Order payments on each workspace's own Paystack account: the Payments settings (key
checked, encrypted, test/live), a payment link for the order's total, the workspace's webhook
marking the order paid once (and telling the customer), another workspace's key refused, a
mismatch held for a person, marking paid by hand and refunds."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from sqlalchemy import select

from repdesk import vault
from repdesk.assistants.models import Assistant
from repdesk.conversations import service as conversations
from repdesk.conversations.models import Message
from repdesk.db.engine import Database
from repdesk.events.service import workspace_topic
from repdesk.jobs.worker import Worker
from repdesk.orders import service as orders
from repdesk.orders.models import Order
from repdesk.payments.models import PaymentAccount
from tests.factories import Account, create_assistant, signed_in
from tests.fakes.paystack import FakePaystack

KEY_A = "sk_test_shopA1234567890abcdef"
KEY_B = "sk_test_shopB1234567890abcdef"


async def order_in_chat(db: Database, workspace_id: str, total_item: int = 1_200_000) -> str:
    assistant = await create_assistant(db, workspace_id=workspace_id, platform="widget")
    async with db.transaction() as s:
        a = await s.get(Assistant, assistant.id)
        assert a is not None
        inbound = await conversations.record_inbound(
            s, assistant=a, channel="widget", type="text", text="I'll take it",
            visitor_id="visitor-1", name="Ada", trigger_ai=False,
        )  # fmt: skip
        order = await orders.create(
            s,
            assistant=a,
            conversation_id=inbound.conversation.id,
            contact_id=inbound.contact.id,
            new=orders.NewOrder(
                currency="NGN",
                delivery_fee=200_000,
                customer_name="Ada",
                items=[orders.LineItem(name="Shea Butter", quantity=2, unit_price=total_item // 2)],
            ),
        )
        return order.id


async def configure(client: httpx.AsyncClient, paystack: FakePaystack, key: str) -> str:
    paystack.keys.add(key)
    r = await client.put("/api/workspace/payments", json={"paystackSecretKey": key})
    assert r.status_code == 200, r.text
    return str(r.json()["webhookUrl"]).removeprefix("http://testserver")


async def order_of(db: Database, order_id: str) -> Order:
    async with db.session() as s:
        o = await s.get(Order, order_id)
        assert o is not None
        return o


async def texts(db: Database, order_id: str) -> list[str]:
    o = await order_of(db, order_id)
    async with db.session() as s:
        rows = await s.scalars(
            select(Message.text).where(
                Message.conversation_id == o.conversation_id, Message.direction == "out"
            )
        )
        return [str(t) for t in rows]


async def test_payments_settings_check_encrypt_and_never_read_back_the_key(
    client: httpx.AsyncClient, owner: Account, paystack: FakePaystack, db: Database
) -> None:
    empty = (await client.get("/api/workspace/payments")).json()
    assert empty == {
        "paystackConfigured": False, "mode": None, "webhookUrl": "", "instructions": ""
    }  # fmt: skip
    for bad in ("pk_test_abcdefgh123", "sk_nope_12345678", "sk_test_short"):
        r = await client.put("/api/workspace/payments", json={"paystackSecretKey": bad})
        assert r.status_code == 400, bad
    r = await client.put(  # well-formed, but Paystack does not know it
        "/api/workspace/payments", json={"paystackSecretKey": "sk_live_unknown12345678"}
    )
    assert r.status_code == 400 and "refused" in r.json()["message"]
    path = await configure(client, paystack, KEY_A)
    assert path.startswith("/webhooks/paystack/") and len(path) > 30
    r = await client.put("/api/workspace/payments", json={"instructions": "GTBank 0123456789"})
    body = r.json()
    assert body["paystackConfigured"] and body["mode"] == "test"
    assert body["instructions"] == "GTBank 0123456789" and KEY_A not in r.text
    async with db.session() as s:
        account = await s.scalar(select(PaymentAccount))
        assert account is not None and account.paystack_key_enc
        assert KEY_A not in account.paystack_key_enc
        assert vault.decrypt(account.paystack_key_enc) == KEY_A
    live = "sk_live_shopA1234567890abcdef"
    paystack.keys.add(live)
    r = await client.put("/api/workspace/payments", json={"paystackSecretKey": live})
    assert r.json()["mode"] == "live"
    assert r.json()["webhookUrl"].endswith(path)  # the same webhook URL
    r = await client.put("/api/workspace/payments", json={"paystackSecretKey": ""})
    assert r.json()["paystackConfigured"] is False and r.json()["mode"] is None


async def test_link_webhook_paid_once_and_customer_told(
    client: httpx.AsyncClient, owner: Account, paystack: FakePaystack, db: Database, worker: Worker
) -> None:
    path = await configure(client, paystack, KEY_A)
    order_id = await order_in_chat(db, owner.workspace_id)
    r = await client.post(f"/api/orders/{order_id}/payment-link", json={"email": "ada@shop.ng"})
    assert r.status_code == 200, r.text
    link = r.json()
    assert (link["amount"], link["currency"]) == (1_400_000, "NGN")
    assert link["url"].startswith(paystack.url + "/checkout/")
    sent = paystack.calls("/transaction/initialize")[-1][2]
    assert sent["metadata"]["order_id"] == order_id and sent["amount"] == 1_400_000
    assert paystack.transactions[link["reference"]].key == KEY_A  # the workspace's account
    assert (await order_of(db, order_id)).payment_status == "pending"
    again = (await client.post(f"/api/orders/{order_id}/payment-link", json={})).json()
    assert again["reference"] == link["reference"]  # "send me the link again"

    paystack.pay(link["reference"])
    answers = []
    for _ in range(5):
        body, headers = paystack.webhook(link["reference"])
        answers.append((await client.post(path, content=body, headers=headers)).json())
        await worker.drain()
    assert answers[0]["received"] == 1 and all(a["duplicates"] == 1 for a in answers[1:])
    order = await order_of(db, order_id)
    assert order.payment_status == "paid"
    assert len([h for h in order.history if h.get("paymentStatus") == "paid"]) == 1
    told = [t for t in await texts(db, order_id) if "Payment of" in t]
    assert told == [f"Payment of ₦14,000 received for order #{order.number}. Thank you!"]
    r = await client.post(f"/api/orders/{order_id}/payment-link", json={})
    assert r.status_code == 409


async def test_another_workspaces_key_or_reference_changes_nothing(
    client: httpx.AsyncClient, paystack: FakePaystack, db: Database, worker: Worker
) -> None:
    b_client = httpx.AsyncClient(transport=client._transport, base_url="http://testserver")
    b = await signed_in(b_client, db, email="b@shop.test")
    path_b = await configure(b_client, paystack, KEY_B)
    a = await signed_in(client, db, email="a@shop.test")
    path_a = await configure(client, paystack, KEY_A)
    order_id = await order_in_chat(db, a.workspace_id)
    ref = (
        await client.post(f"/api/orders/{order_id}/payment-link", json={"email": "c@d.ng"})
    ).json()["reference"]
    paystack.pay(ref)
    signed_by_b = paystack.webhook(ref, key=KEY_B)
    assert (
        await client.post(path_a, content=signed_by_b[0], headers=signed_by_b[1])
    ).status_code == 401
    # B's own webhook, correctly signed by B, naming A's payment: acknowledged, but not B's.
    r = await client.post(path_b, content=signed_by_b[0], headers=signed_by_b[1])
    assert r.status_code == 200
    signed_by_a = paystack.webhook(ref)
    assert (
        await client.post(path_b, content=signed_by_a[0], headers=signed_by_a[1])
    ).status_code == 401
    assert (
        await client.post("/webhooks/paystack/nope", content=signed_by_a[0], headers=signed_by_a[1])
    ).status_code == 404
    await worker.drain()
    assert (await order_of(db, order_id)).payment_status == "pending"
    assert not paystack.calls(f"/transaction/verify/{ref}")  # no job ever asked about it
    assert b.workspace_id != a.workspace_id
    await b_client.aclose()


async def test_wrong_amount_marks_the_order_mismatch(
    client: httpx.AsyncClient, owner: Account, paystack: FakePaystack, db: Database, worker: Worker
) -> None:
    path = await configure(client, paystack, KEY_A)
    order_id = await order_in_chat(db, owner.workspace_id)
    ref = (
        await client.post(f"/api/orders/{order_id}/payment-link", json={"email": "c@d.ng"})
    ).json()["reference"]
    paystack.pay(ref)
    paystack.verify_overrides[ref] = {"amount": 100_000}
    body, headers = paystack.webhook(ref, amount=100_000)
    await client.post(path, content=body, headers=headers)
    await worker.drain()
    order = await order_of(db, order_id)
    assert order.payment_status == "mismatch"
    assert any("does not match" in n["text"] for n in order.notes)
    assert not [t for t in await texts(db, order_id) if "Payment of" in t]


async def test_mark_paid_and_refunds(
    client: httpx.AsyncClient, owner: Account, paystack: FakePaystack, db: Database, worker: Worker
) -> None:
    path = await configure(client, paystack, KEY_A)
    cash = await order_in_chat(db, owner.workspace_id)
    r = await client.post(f"/api/orders/{cash}/mark-paid", json={"note": "cash on delivery"})
    assert r.status_code == 200 and r.json()["paymentStatus"] == "paid"
    assert any("cash on delivery" in n["text"] for n in r.json()["notes"])
    assert (await client.post(f"/api/orders/{cash}/mark-paid", json={})).status_code == 409
    assert (await client.post(f"/api/orders/{cash}/refund", json={})).status_code == 409

    order_id = await order_in_chat(db, owner.workspace_id)
    ref = (
        await client.post(f"/api/orders/{order_id}/payment-link", json={"email": "c@d.ng"})
    ).json()["reference"]
    paystack.pay(ref)
    body, headers = paystack.webhook(ref)
    await client.post(path, content=body, headers=headers)
    await worker.drain()
    r = await client.post(f"/api/orders/{order_id}/refund", json={"amount": 400_000})
    assert r.status_code == 200 and r.json()["paymentStatus"] == "partially_refunded"
    r = await client.post(f"/api/orders/{order_id}/refund", json={"amount": 1_000_001})
    assert r.status_code == 400
    r = await client.post(f"/api/orders/{order_id}/refund", json={})
    assert r.json()["paymentStatus"] == "refunded"
    assert [x["amount"] for x in paystack.refunds] == [400_000, 1_000_000]


async def test_without_paystack_a_link_is_refused(
    client: httpx.AsyncClient, owner: Account, paystack: FakePaystack, db: Database
) -> None:
    order_id = await order_in_chat(db, owner.workspace_id)
    r = await client.post(f"/api/orders/{order_id}/payment-link", json={"email": "c@d.ng"})
    assert r.status_code == 409 and r.json()["code"] == "PAYSTACK_NOT_CONFIGURED"
    other = httpx.AsyncClient(transport=client._transport, base_url="http://testserver")
    await signed_in(other, db, email="x@shop.test")
    r = await other.post(f"/api/orders/{order_id}/payment-link", json={"email": "c@d.ng"})
    assert r.status_code == 404
    await other.aclose()


@pytest.mark.parametrize("email", [None, "not-an-email"])
async def test_a_link_needs_an_email(
    client: httpx.AsyncClient,
    owner: Account,
    paystack: FakePaystack,
    db: Database,
    email: str | None,
) -> None:
    await configure(client, paystack, KEY_A)
    order_id = await order_in_chat(db, owner.workspace_id)
    r = await client.post(f"/api/orders/{order_id}/payment-link", json={"email": email})
    assert r.status_code == 400 and "email" in r.json()["message"]


async def test_paying_a_replaced_link_is_a_mismatch(
    client: httpx.AsyncClient, owner: Account, paystack: FakePaystack, db: Database, worker: Worker
) -> None:
    path = await configure(client, paystack, KEY_A)
    order_id = await order_in_chat(db, owner.workspace_id)
    old = (
        await client.post(f"/api/orders/{order_id}/payment-link", json={"email": "c@d.ng"})
    ).json()
    async with db.transaction() as s:  # the team changes the order's total
        o = await s.get(Order, order_id)
        assert o is not None
        o.total = 1_600_000
    new = (await client.post(f"/api/orders/{order_id}/payment-link", json={})).json()
    assert new["reference"] != old["reference"] and new["amount"] == 1_600_000
    paystack.pay(old["reference"])
    body, headers = paystack.webhook(old["reference"])
    await client.post(path, content=body, headers=headers)
    await worker.drain()
    order = await order_of(db, order_id)
    assert order.payment_status == "mismatch"
    assert any("replaced link" in n["text"] for n in order.notes)


async def test_payment_events_fire_once_for_workflows_and_webhooks(
    app: Any,
    client: httpx.AsyncClient,
    owner: Account,
    paystack: FakePaystack,
    db: Database,
    worker: Worker,
) -> None:
    path = await configure(client, paystack, KEY_A)
    order_id = await order_in_chat(db, owner.workspace_id)
    ref = (
        await client.post(f"/api/orders/{order_id}/payment-link", json={"email": "c@d.ng"})
    ).json()["reference"]
    paystack.pay(ref)
    async with app.state.bus.subscribe(workspace_topic(owner.workspace_id)) as sub:
        for _ in range(3):
            body, headers = paystack.webhook(ref)
            await client.post(path, content=body, headers=headers)
            await worker.drain()
        frames = []
        while not sub.queue.empty():
            frames.append(sub.queue.get_nowait())
    names = [f["event"] for f in frames]
    assert names.count("payment.succeeded") == 1 and names.count("order.paid") == 1
    paid = next(f for f in frames if f["event"] == "payment.succeeded")["data"]
    assert paid == {
        "reference": ref, "provider": "paystack", "amount": 1_400_000, "currency": "NGN",
        "orderId": order_id, "reason": None,
    }  # fmt: skip
    order_paid = next(f for f in frames if f["event"] == "order.paid")["data"]
    assert order_paid["id"] == order_id and order_paid["paymentStatus"] == "paid"
