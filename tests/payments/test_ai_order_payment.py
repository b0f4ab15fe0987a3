"""An AI conversation that ends in an order ends with its payment link, for the amount of the
order the engine took; the Paystack webhook then marks the order paid and the customer is
told in the same conversation."""

from __future__ import annotations

import httpx
from sqlalchemy import select, update

from repdesk.assistants.models import Assistant
from repdesk.contacts.models import Contact
from repdesk.conversations import service as conversations
from repdesk.conversations.models import Message
from repdesk.db.engine import Database
from repdesk.jobs.models import Job
from repdesk.jobs.worker import Worker
from repdesk.orders.models import Order
from repdesk.payments.models import OrderPayment
from tests.ai.conftest import DemoShop, _bm25_only, shop  # noqa: F401  (fixtures)
from tests.fakes.paystack import FakePaystack
from tests.payments.test_order_payments import KEY_A, configure


async def say(db: Database, worker: Worker, demo: DemoShop, text: str, ext: str) -> str:
    async with db.transaction() as s:
        assistant = await s.get(Assistant, demo.assistant.id)
        assert assistant is not None
        got = await conversations.record_inbound(
            s, assistant=assistant, channel="widget", type="text", text=text, external_id=ext,
            visitor_id="visitor-1", name="Chidi Eze",
        )  # fmt: skip
        message_id = got.message.id
    async with db.session() as s:
        jobs = (await s.scalars(select(Job).where(Job.kind == "ai.reply"))).all()
        job = next(j for j in jobs if j.payload["messageId"] == message_id)
    assert await worker.run_now(job.id)
    return got.conversation.id


async def test_ai_order_ends_with_a_payment_link_then_paid(
    client: httpx.AsyncClient,
    shop: DemoShop,  # noqa: F811  (the fixture)
    paystack: FakePaystack,
    db: Database,
    worker: Worker,
) -> None:
    path = await configure(client, paystack, KEY_A)
    conv_id = ""
    for n, text in enumerate(["I want the oud perfume", "Chidi Eze, 07012345678, pickup", "yes"]):
        conv_id = await say(db, worker, shop, text, f"w{n}")
    async with db.transaction() as s:
        order = await s.scalar(select(Order))
        assert order is not None and order.total == 4_500_000
        await s.execute(
            update(Contact).where(Contact.id == order.contact_id).values(email="chidi@mail.ng")
        )
    await worker.drain()  # the order's payments.offer job
    async with db.session() as s:
        payment = await s.scalar(select(OrderPayment))
        assert payment is not None and payment.amount == order.total
        texts = list(
            await s.scalars(
                select(Message.text)
                .where(Message.conversation_id == conv_id, Message.direction == "out")
                .order_by(Message.id)
            )
        )
    assert texts[-1] == (
        f"To pay ₦45,000 for order #{order.number}, use this secure Paystack link: {payment.url}"
    )
    paystack.pay(payment.reference)
    body, headers = paystack.webhook(payment.reference)
    assert (await client.post(path, content=body, headers=headers)).status_code == 200
    await worker.drain()
    async with db.session() as s:
        paid = await s.get(Order, order.id)
        assert paid is not None and paid.payment_status == "paid"
        last = await s.scalar(
            select(Message.text)
            .where(Message.conversation_id == conv_id, Message.direction == "out")
            .order_by(Message.id.desc())
            .limit(1)
        )
    assert last == f"Payment of ₦45,000 received for order #{order.number}. Thank you!"
