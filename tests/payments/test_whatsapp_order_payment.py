"""Over the WhatsApp webhook: a customer orders from the demo shop's assistant, gets the
order's Paystack link on WhatsApp, pays, and is told on WhatsApp that the payment arrived."""

from __future__ import annotations

import httpx
from sqlalchemy import select, update

from repdesk.ai.demo import load_demo
from repdesk.assistants.models import Assistant
from repdesk.channels.whatsapp import service as wa
from repdesk.contacts.models import Contact
from repdesk.db.engine import Database
from repdesk.jobs.worker import Worker
from repdesk.orders.models import Order
from repdesk.payments.models import OrderPayment
from tests.ai.conftest import _bm25_only  # noqa: F401  (the engine without embeddings)
from tests.factories import signed_in
from tests.fakes.graph import FakeGraph
from tests.fakes.paystack import FakePaystack
from tests.payments.test_order_payments import KEY_A, configure
from tests.whatsapp.helpers import APP_SECRET, dumps, envelope, sign, text


async def test_whatsapp_order_link_and_payment(
    client: httpx.AsyncClient,
    db: Database,
    worker: Worker,
    graph: FakeGraph,
    paystack: FakePaystack,
) -> None:
    owner = await signed_in(client, db)
    async with db.transaction() as s:
        demo = await load_demo(s, workspace_id=owner.workspace_id)
        await s.execute(
            update(Assistant).where(Assistant.id == demo.id).values(platform="whatsapp")
        )
    async with db.transaction() as s:
        assistant = await s.get(Assistant, demo.id, populate_existing=True)
        assert assistant is not None
        conn = await wa.connect_byok(
            s,
            assistant,
            access_token=graph.access_token,
            phone_number_id=graph.phone_number_id,
            business_account_id=graph.business_account_id,
            phone_number=graph.e164,
            app_secret=APP_SECRET,
        )
        hook = f"/webhooks/whatsapp_cloud/{conn.webhook_path}"
    pay_hook = await configure(client, paystack, KEY_A)

    for n, said in enumerate(("I want the oud perfume", "Chidi Eze, 07012345678, pickup", "yes")):
        body = dumps(envelope(graph, messages=[text(said)]))
        r = await client.post(hook, content=body, headers={"x-hub-signature-256": sign(body)})
        assert r.status_code == 200
        await worker.drain()
        if n == 0:  # the customer's email is on file (the contact book)
            async with db.transaction() as s:
                await s.execute(update(Contact).values(email="chidi@mail.ng"))
    async with db.session() as s:
        order = await s.scalar(select(Order))
        assert order is not None and order.total == 4_500_000
    async with db.session() as s:
        payment = await s.scalar(select(OrderPayment))
        assert payment is not None
    link_texts = [m["text"]["body"] for m in graph.sent if m.get("type") == "text"]
    assert link_texts[-1] == (
        f"To pay ₦45,000 for order #{order.number}, use this secure Paystack link: {payment.url}"
    )

    paystack.pay(payment.reference)
    body, headers = paystack.webhook(payment.reference)
    assert (await client.post(pay_hook, content=body, headers=headers)).status_code == 200
    await worker.drain()
    sent = [m["text"]["body"] for m in graph.sent if m.get("type") == "text"]
    assert sent[-1] == f"Payment of ₦45,000 received for order #{order.number}. Thank you!"
    assert all(m["to"].lstrip("+") == "2348031234567" for m in graph.sent)
