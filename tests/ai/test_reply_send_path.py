"""The AI's replies go through ``conversations.send``: origin ``ai``, paid for by the AI
reply's one credit, delivered through the conversation's channel sender."""

from __future__ import annotations

from sqlalchemy import select

from repdesk.assistants.models import Assistant
from repdesk.billing.models import LedgerEntry
from repdesk.conversations import service as conversations
from repdesk.conversations.models import Message
from repdesk.db.engine import Database
from repdesk.jobs.worker import Worker
from tests.ai.conftest import DemoShop
from tests.conversations.helpers import recording


async def test_an_ai_reply_goes_through_the_one_send_path(
    db: Database, worker: Worker, shop: DemoShop
) -> None:
    with recording("widget") as widget:
        async with db.transaction() as s:
            assistant = await s.get(Assistant, shop.assistant.id)
            assert assistant is not None
            inbound = await conversations.record_inbound(
                s,
                assistant=assistant,
                channel="widget",
                type="text",
                text="How much is the shea butter?",
                external_id="v-1:c-1",
                visitor_id="v-1",
            )
        await worker.drain()  # ai.reply, then channel.send
    async with db.session() as s:
        replies = list(
            await s.scalars(
                select(Message).where(
                    Message.conversation_id == inbound.conversation.id, Message.direction == "out"
                )
            )
        )
        charges = list(
            await s.scalars(select(LedgerEntry.reference).where(LedgerEntry.reference.like("ai:%")))
        )
    assert replies and all(m.sender == "ai" and m.status == "sent" for m in replies)
    assert [seen.message_id for seen in widget.seen] == [m.id for m in replies]
    assert {seen.sender for seen in widget.seen} == {"ai"}
    assert [m.idempotency_key for m in replies][0] == f"ai:{inbound.message.id}:0"
    assert all(m.credits_charged == 0 for m in replies)  # paid by the reply's one credit:
    assert charges == [f"ai:{inbound.message.id}"]
