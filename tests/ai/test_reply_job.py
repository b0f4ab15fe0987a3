"""The ai.reply job end to end: inbound message -> engine -> outbound AI message, 1 credit."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select, update

from repdesk.accounts.models import Workspace
from repdesk.billing.models import LedgerEntry
from repdesk.conversations import service as conversations
from repdesk.conversations.models import Conversation, Message
from repdesk.db.engine import Database
from repdesk.jobs.models import Job
from repdesk.jobs.worker import Worker
from repdesk.orders.models import Order
from tests.ai.conftest import DemoShop


async def _inbound(db: Database, shop: DemoShop, text: str, ext: str) -> tuple[str, str]:
    async with db.transaction() as s:
        from repdesk.assistants.models import Assistant

        assistant = await s.get(Assistant, shop.assistant.id)
        assert assistant is not None
        got = await conversations.record_inbound(
            s,
            assistant=assistant,
            channel="widget",
            type="text",
            text=text,
            external_id=ext,
            visitor_id="visitor-1",
            name="Ada Obi",
        )
        return got.conversation.id, got.message.id


async def _run_ai(db: Database, worker: Worker, message_id: str) -> None:
    async with db.session() as s:
        jobs = (await s.scalars(select(Job).where(Job.kind == "ai.reply"))).all()
        job = next(j for j in jobs if j.payload["messageId"] == message_id)
    assert await worker.run_now(job.id)


async def _credits(db: Database, shop: DemoShop) -> int:
    async with db.session() as s:
        return int(
            await s.scalar(
                select(Workspace.credits).where(Workspace.id == shop.account.workspace_id)
            )
            or 0
        )


async def _ai_messages(db: Database, conv_id: str) -> list[Message]:
    async with db.session() as s:
        return list(
            (
                await s.scalars(
                    select(Message)
                    .where(Message.conversation_id == conv_id, Message.sender == "ai")
                    .order_by(Message.id)
                )
            ).all()
        )


async def test_ai_reply_answers_and_costs_exactly_one_credit(
    db: Database, worker: Worker, shop: DemoShop
) -> None:
    before = await _credits(db, shop)
    conv_id, msg_id = await _inbound(db, shop, "How much is the shea butter?", "w1")
    await _run_ai(db, worker, msg_id)
    out = await _ai_messages(db, conv_id)
    assert len(out) == 1
    assert "₦3,500" in out[0].text and out[0].status == "queued"
    assert out[0].credits_charged == 0
    assert await _credits(db, shop) == before - 1
    async with db.session() as s:
        entry = await s.scalar(select(LedgerEntry).where(LedgerEntry.reference == f"ai:{msg_id}"))
    assert entry is not None and entry.amount == -1
    # Running the same job again changes nothing (idempotent).
    from repdesk.ai.schemas import AiReplyJob
    from repdesk.ai.tasks import reply

    async with db.transaction() as s:
        await reply(s, AiReplyJob(conversation_id=conv_id, message_id=msg_id))
    assert len(await _ai_messages(db, conv_id)) == 1
    assert await _credits(db, shop) == before - 1


async def test_a_newer_customer_message_supersedes_the_older_job(
    db: Database, worker: Worker, shop: DemoShop
) -> None:
    conv_id, first = await _inbound(db, shop, "Hello", "w1")
    _, second = await _inbound(db, shop, "How much is black soap?", "w2")
    await _run_ai(db, worker, first)
    assert await _ai_messages(db, conv_id) == []
    await _run_ai(db, worker, second)
    out = await _ai_messages(db, conv_id)
    assert len(out) == 1 and "₦2,000" in out[0].text


async def _conversation(db: Database, conv_id: str) -> Conversation:
    async with db.session() as s:
        conv = await s.get(Conversation, conv_id)
        assert conv is not None
        return conv


async def _emails(db: Database) -> list[dict[str, Any]]:
    async with db.session() as s:
        return [
            j.payload for j in (await s.scalars(select(Job).where(Job.kind == "email.send"))).all()
        ]


async def test_asking_for_a_person_hands_off_and_emails_the_owner(
    db: Database, worker: Worker, shop: DemoShop
) -> None:
    conv_id, msg_id = await _inbound(db, shop, "I want to talk to a human", "w1")
    await _run_ai(db, worker, msg_id)
    conv = await _conversation(db, conv_id)
    assert conv.needs_human and not conv.automation_enabled
    assert conv.handoff_reason == "Customer asked for a person"
    out = await _ai_messages(db, conv_id)
    assert "member of our team" in out[0].text
    mails = await _emails(db)
    assert any(m["to"] == shop.account.email and "needs a person" in m["subject"] for m in mails)
    # Automation is off now: the next message gets no AI reply.
    _, nxt = await _inbound(db, shop, "hello?", "w2")
    async with db.session() as s:
        assert not any(
            j.payload.get("messageId") == nxt
            for j in (await s.scalars(select(Job).where(Job.kind == "ai.reply"))).all()
        )


async def test_with_no_credits_the_assistant_stays_silent_and_flags_a_person(
    db: Database, worker: Worker, shop: DemoShop
) -> None:
    async with db.transaction() as s:
        await s.execute(
            update(Workspace).where(Workspace.id == shop.account.workspace_id).values(credits=0)
        )
    conv_id, msg_id = await _inbound(db, shop, "How much is the shea butter?", "w1")
    await _run_ai(db, worker, msg_id)
    assert await _ai_messages(db, conv_id) == []
    conv = await _conversation(db, conv_id)
    assert conv.needs_human and conv.handoff_reason == "Out of credits"
    assert any("out of credits" in m["subject"] for m in await _emails(db))


async def test_an_order_conversation_creates_a_real_order(
    db: Database, worker: Worker, shop: DemoShop
) -> None:
    turns = ["I want the oud perfume", "Chidi Eze, 07012345678, pickup", "yes"]
    conv_id = ""
    for n, text in enumerate(turns):
        conv_id, msg_id = await _inbound(db, shop, text, f"w{n}")
        await _run_ai(db, worker, msg_id)
    async with db.session() as s:
        order = await s.scalar(select(Order))
    assert order is not None
    assert order.test is False and order.conversation_id == conv_id
    assert order.total == 4500000 and order.delivery_fee == 0
    assert order.customer_name == "Chidi Eze" and order.customer_phone == "07012345678"
    assert [(i["name"], i["quantity"]) for i in order.items] == [("Oud Royale Perfume", 1)]
    out = await _ai_messages(db, conv_id)
    assert "confirmed" in out[-1].text
