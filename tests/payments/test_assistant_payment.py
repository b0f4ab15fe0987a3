"""The assistant's payment steps, over the real paths (the playground route; the widget's
AI reply job) against the fake Paystack: a confirmed order with no known email gets the email
question once, a valid address is kept on the contact and answered with the order's own
link; a refusal, or no address twice, gets the instructions; "send me the link again" (in
English, Pidgin or texting) re-issues the latest unpaid order's link."""

from __future__ import annotations

import httpx
from sqlalchemy import func, select

from repdesk.ai.engine.pay import ASK_AGAIN, ASK_EMAIL, GOT_EMAIL, NO_EMAIL
from repdesk.contacts.models import Contact
from repdesk.conversations.models import Message
from repdesk.db.engine import Database
from repdesk.jobs.models import Job
from repdesk.jobs.worker import Worker
from repdesk.kit.time import utcnow
from repdesk.orders.models import Order
from repdesk.payments.assist import NOTHING_TO_PAY, PLAYGROUND_PAYSTACK_DOWN
from repdesk.payments.models import OrderPayment
from tests.ai.conftest import DemoShop, _bm25_only, shop  # noqa: F401  (fixtures)
from tests.fakes.paystack import FakePaystack
from tests.payments.test_ai_order_payment import say
from tests.payments.test_order_payments import KEY_A, configure

INSTRUCTIONS = "Transfer to GTBank 0123456789 (Ada Ltd)"


async def play(client: httpx.AsyncClient, demo: DemoShop, text: str, sid: str | None) -> dict:
    body = {"text": text} | ({"sessionId": sid} if sid else {})
    r = await client.post(f"/api/assistants/{demo.assistant.id}/playground", json=body)
    assert r.status_code == 200, r.text
    return dict(r.json())


def said(out: dict) -> list[str]:
    return [r["text"] for r in out["replies"]]


async def play_order(client: httpx.AsyncClient, demo: DemoShop) -> tuple[str, dict]:
    out = await play(client, demo, "I want to buy 2 ankara maxi dress size M", None)
    sid = out["sessionId"]
    await play(client, demo, "My name is Tunde Bakare, 08031234567, 12 Allen Avenue Ikeja, delivery", sid)  # fmt: skip
    return sid, await play(client, demo, "yes", sid)


async def test_playground_order_ends_with_a_paystack_link_on_the_business_key(
    client: httpx.AsyncClient,
    shop: DemoShop,  # noqa: F811
    paystack: FakePaystack,
    db: Database,
) -> None:
    await configure(client, paystack, KEY_A)
    sid, out = await play_order(client, shop)
    assert out["actions"][0]["type"] == "create_order" and out["actions"][0]["test"] is True
    assert ASK_EMAIL in said(out)[-1] and "₦39,500" in said(out)[-1]
    assert not paystack.calls("/transaction/initialize")

    out = await play(client, shop, "why do you need it", sid)
    assert said(out) == [ASK_AGAIN]
    out = await play(client, shop, "ok it's tunde.b@mail.ng", sid)
    async with db.session() as s:
        order = await s.scalar(select(Order))
        payment = await s.scalar(select(OrderPayment))
    assert order is not None and payment is not None and order.test
    assert said(out) == [
        GOT_EMAIL,
        f"To pay ₦39,500 for order #{order.number}, use this secure Paystack link: {payment.url}",
    ]
    tx = paystack.transactions[payment.reference]
    assert (tx.amount, tx.currency, tx.email, tx.key) == (
        3_950_000,
        "NGN",
        "tunde.b@mail.ng",
        KEY_A,
    )
    assert tx.metadata["order_id"] == order.id

    out = await play(client, shop, "abeg resend the link", sid)
    assert said(out) == [said(out)[-1]] and payment.url in said(out)[0]
    assert len(paystack.calls("/transaction/initialize")) == 1  # the same unpaid link
    async with db.session() as s:  # the playground sends nothing to anyone
        assert await s.scalar(select(func.count()).select_from(Message)) == 0


async def test_playground_without_paystack_shows_the_instructions(
    client: httpx.AsyncClient,
    shop: DemoShop,  # noqa: F811
    paystack: FakePaystack,
) -> None:
    r = await client.put("/api/workspace/payments", json={"instructions": INSTRUCTIONS})
    assert r.status_code == 200
    _, out = await play_order(client, shop)
    replies = said(out)
    assert ASK_EMAIL not in replies[0]
    assert replies[-1].startswith("To pay ₦39,500 for order #") and replies[-1].endswith(
        INSTRUCTIONS
    )
    assert not paystack.calls("/transaction/initialize")


async def outbox(db: Database, conv_id: str) -> list[str]:
    async with db.session() as s:
        rows = await s.scalars(
            select(Message.text)
            .where(Message.conversation_id == conv_id, Message.direction == "out")
            .order_by(Message.created_at, Message.id)
        )
        return [str(t) for t in rows]


async def chat_order(db: Database, worker: Worker, demo: DemoShop) -> str:
    conv_id = ""
    for n, text in enumerate(["I want the oud perfume", "Chidi Eze, 07012345678, pickup", "yes"]):
        conv_id = await say(db, worker, demo, text, f"w{n}")
    await worker.drain()  # the order's payments.offer: nothing while the email is asked for
    return conv_id


async def test_chat_asks_for_the_email_keeps_it_and_sends_the_link_then_again(
    client: httpx.AsyncClient,
    shop: DemoShop,  # noqa: F811
    paystack: FakePaystack,
    db: Database,
    worker: Worker,
) -> None:
    await configure(client, paystack, KEY_A)
    conv_id = await chat_order(db, worker, shop)
    assert ASK_EMAIL in (await outbox(db, conv_id))[-1]
    assert not paystack.calls("/transaction/initialize")

    await say(db, worker, shop, "my email na Chidi.Eze@Mail.ng", "w3")
    await worker.drain()
    async with db.session() as s:
        order = await s.scalar(select(Order))
        payment = await s.scalar(select(OrderPayment))
        assert order is not None and payment is not None
        contact = await s.get(Contact, order.contact_id)
        assert contact is not None and contact.email == "chidi.eze@mail.ng"
    link = f"To pay ₦45,000 for order #{order.number}, use this secure Paystack link: {payment.url}"
    assert (await outbox(db, conv_id))[-2:] == [GOT_EMAIL, link]
    assert paystack.transactions[payment.reference].amount == order.total == 4_500_000

    for n, text in enumerate(["pls send payment link", "Send me the link again"]):
        await say(db, worker, shop, text, f"again{n}")
        await worker.drain()
        assert (await outbox(db, conv_id))[-1] == link
    assert len(await outbox(db, conv_id)) == 3 + 2 + 2  # each request answered once
    assert len(paystack.calls("/transaction/initialize")) == 1


async def test_chat_refusal_or_no_email_twice_gets_the_instructions(
    client: httpx.AsyncClient,
    shop: DemoShop,  # noqa: F811
    paystack: FakePaystack,
    db: Database,
    worker: Worker,
) -> None:
    await configure(client, paystack, KEY_A)
    r = await client.put("/api/workspace/payments", json={"instructions": INSTRUCTIONS})
    assert r.status_code == 200
    conv_id = await chat_order(db, worker, shop)
    await say(db, worker, shop, "hmm", "w3")
    assert (await outbox(db, conv_id))[-1] == ASK_AGAIN
    await say(db, worker, shop, "later", "w4")
    await worker.drain()
    async with db.session() as s:
        order = await s.scalar(select(Order))
        assert order is not None
    assert (await outbox(db, conv_id))[-2:] == [
        NO_EMAIL,
        f"To pay ₦45,000 for order #{order.number}:\n{INSTRUCTIONS}",
    ]
    assert not paystack.calls("/transaction/initialize")


async def test_chat_decline_is_final_and_no_unpaid_order_is_said(
    client: httpx.AsyncClient,
    shop: DemoShop,  # noqa: F811
    paystack: FakePaystack,
    db: Database,
    worker: Worker,
) -> None:
    await configure(client, paystack, KEY_A)
    conv_id = await chat_order(db, worker, shop)
    await say(db, worker, shop, "no thanks", "w3")
    await worker.drain()
    last = (await outbox(db, conv_id))[-2:]
    assert last[0] == NO_EMAIL and last[1].startswith("Our team will contact you shortly")
    async with db.transaction() as s:
        order = await s.scalar(select(Order))
        assert order is not None
        order.payment_status = "paid"
    await say(db, worker, shop, "abeg send the link again", "w4")
    await worker.drain()
    assert (await outbox(db, conv_id))[-1] == NOTHING_TO_PAY
    assert not paystack.calls("/transaction/initialize")


async def test_playground_says_when_paystack_is_down_and_the_link_can_be_asked_again(
    client: httpx.AsyncClient,
    shop: DemoShop,  # noqa: F811
    paystack: FakePaystack,
    db: Database,
) -> None:
    await configure(client, paystack, KEY_A)
    sid, _ = await play_order(client, shop)
    paystack.fail_next("5xx", path_contains="/transaction/initialize")
    out = await play(client, shop, "tunde.b@mail.ng", sid)
    assert said(out) == [GOT_EMAIL, PLAYGROUND_PAYSTACK_DOWN]
    out = await play(client, shop, "send me the link again", sid)
    async with db.session() as s:
        payment = await s.scalar(select(OrderPayment))
    assert payment is not None and payment.email == "tunde.b@mail.ng"
    assert said(out) == [
        f"To pay ₦39,500 for order #1, use this secure Paystack link: {payment.url}"
    ]


async def test_chat_link_waits_for_paystack_and_is_sent_when_it_answers(
    client: httpx.AsyncClient,
    shop: DemoShop,  # noqa: F811
    paystack: FakePaystack,
    db: Database,
    worker: Worker,
) -> None:
    await configure(client, paystack, KEY_A)
    conv_id = await chat_order(db, worker, shop)
    paystack.fail_next("5xx", path_contains="/transaction/initialize")
    await say(db, worker, shop, "chidi@mail.ng", "w3")
    await worker.drain()
    assert (await outbox(db, conv_id))[-1] == GOT_EMAIL  # no instructions instead of the link
    async with db.transaction() as s:
        job = await s.scalar(select(Job).where(Job.kind == "payments.assist"))
        assert job is not None and job.status == "queued" and job.attempts == 1
        job.run_at = utcnow()  # its backoff is over
    await worker.drain()
    async with db.session() as s:
        payment = await s.scalar(select(OrderPayment))
        assert payment is not None
    assert (await outbox(db, conv_id))[-1].endswith(f"secure Paystack link: {payment.url}")
