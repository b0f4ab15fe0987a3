"""A new order taken in a conversation gets its payment offered there: the Paystack link for
the order's own total (then paid by the webhook, and the customer thanked), or the
workspace's instructions without Paystack; never for playground orders."""

from __future__ import annotations

import httpx
from sqlalchemy import select, update

from repdesk.assistants.models import Assistant
from repdesk.contacts.models import Contact
from repdesk.db.engine import Database
from repdesk.jobs.worker import Worker
from repdesk.orders import service as orders
from repdesk.payments.models import OrderPayment
from tests.factories import Account, create_assistant
from tests.fakes.paystack import FakePaystack
from tests.payments.test_order_payments import KEY_A, configure, order_in_chat, order_of, texts


async def give_email(db: Database, order_id: str, email: str) -> None:
    order = await order_of(db, order_id)
    async with db.transaction() as s:
        await s.execute(update(Contact).where(Contact.id == order.contact_id).values(email=email))


async def test_order_gets_its_link_and_is_paid_in_the_chat(
    client: httpx.AsyncClient, owner: Account, paystack: FakePaystack, db: Database, worker: Worker
) -> None:
    path = await configure(client, paystack, KEY_A)
    order_id = await order_in_chat(db, owner.workspace_id)
    await give_email(db, order_id, "ada@shop.ng")
    await worker.drain()
    async with db.session() as s:
        payment = await s.scalar(select(OrderPayment).where(OrderPayment.order_id == order_id))
        assert payment is not None
    order = await order_of(db, order_id)
    said = await texts(db, order_id)
    assert said == [
        f"To pay ₦14,000 for order #{order.number}, use this secure Paystack link: {payment.url}"
    ]
    assert paystack.transactions[payment.reference].amount == order.total == 1_400_000
    assert paystack.transactions[payment.reference].email == "ada@shop.ng"

    paystack.pay(payment.reference)
    body, headers = paystack.webhook(payment.reference)
    assert (await client.post(path, content=body, headers=headers)).status_code == 200
    await worker.drain()
    assert (await order_of(db, order_id)).payment_status == "paid"
    assert (await texts(db, order_id))[-1] == (
        f"Payment of ₦14,000 received for order #{order.number}. Thank you!"
    )


async def test_without_paystack_the_instructions_are_sent(
    client: httpx.AsyncClient, owner: Account, paystack: FakePaystack, db: Database, worker: Worker
) -> None:
    r = await client.put(
        "/api/workspace/payments", json={"instructions": "Transfer to GTBank 0123456789 (Ada Ltd)"}
    )
    assert r.status_code == 200
    order_id = await order_in_chat(db, owner.workspace_id)
    await worker.drain()
    order = await order_of(db, order_id)
    assert await texts(db, order_id) == [
        f"To pay ₦14,000 for order #{order.number}:\nTransfer to GTBank 0123456789 (Ada Ltd)"
    ]
    assert not paystack.calls("/transaction/initialize")


async def test_nothing_to_offer_and_playground_orders_send_nothing(
    client: httpx.AsyncClient, owner: Account, paystack: FakePaystack, db: Database, worker: Worker
) -> None:
    order_id = await order_in_chat(db, owner.workspace_id)  # no Paystack, no instructions
    await worker.drain()
    assert await texts(db, order_id) == []
    await configure(client, paystack, KEY_A)
    await give_email(db, order_id, "ada@shop.ng")
    assistant = await create_assistant(db, workspace_id=owner.workspace_id, platform="widget")
    async with db.transaction() as s:
        a = await s.get(Assistant, assistant.id)
        assert a is not None
        await orders.create(
            s,
            assistant=a,
            test=True,
            new=orders.NewOrder(
                currency="NGN", items=[orders.LineItem(name="Soap", quantity=1, unit_price=500)]
            ),
        )
    await worker.drain()  # a playground order is never offered a link
    assert not paystack.calls("/transaction/initialize")
