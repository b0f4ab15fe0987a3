"""``conversations.send``, the one way to send: any channel through its sender alone, the
service window for channels that have one, recipients, idempotency."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from repdesk.assistants.models import Assistant
from repdesk.billing import service as billing
from repdesk.billing.models import LedgerEntry
from repdesk.channels.base import (
    ChannelError,
    OutboundMessage,
    OutboundTemplate,
    SendResult,
)
from repdesk.contacts import service as contacts
from repdesk.contacts.models import Contact
from repdesk.conversations import service as conversations
from repdesk.conversations.models import Conversation, Message
from repdesk.db.engine import Database, commit
from repdesk.jobs.models import Job
from repdesk.jobs.worker import Worker
from repdesk.kit.errors import NotFound, ValidationError
from tests.factories import create_account, create_assistant

TOY = "toy"


@dataclass
class ToyOutgoing:
    """What the toy channel's call needs: our own data, read before the commit."""

    to: str
    text: str
    kind: str


class ToyChannel:
    """A whole new channel: this class and one ``register_sender`` call, nothing else."""

    channel = TOY

    def __init__(self, *, requires_service_window: bool = False) -> None:
        self.requires_service_window = requires_service_window
        self.posted: list[ToyOutgoing] = []
        self.in_transaction_during_post: list[bool] = []
        self.fail_next: ChannelError | None = None

    async def validate(
        self, session: AsyncSession, conversation: Conversation, outbound: OutboundMessage
    ) -> None:
        if outbound.type == "text" and not (outbound.text or "").strip():
            raise ValidationError("text: the toy channel sends no empty messages.")

    async def prepare(self, session: AsyncSession, message: Message) -> ToyOutgoing:
        conv = await session.get(Conversation, message.conversation_id)
        assert conv is not None
        contact = await session.get(Contact, conv.contact_id)
        to = (contact.visitor_id if contact is not None else None) or conv.contact_id
        return ToyOutgoing(to=to, text=message.text, kind=message.type)

    async def post(self, session: AsyncSession, prepared: ToyOutgoing) -> SendResult:
        self.in_transaction_during_post.append(session.in_transaction())
        if self.fail_next is not None:
            exc, self.fail_next = self.fail_next, None
            raise exc
        self.posted.append(prepared)
        return SendResult(external_id=f"toy-{len(self.posted)}")


@dataclass
class Shop:
    assistant: Assistant
    conversation_id: str
    contact_id: str


async def _shop(db: Database) -> Shop:
    _user, ws = await create_account(db)
    assistant = await create_assistant(db, workspace_id=ws.id, platform="widget")
    async with db.transaction() as s:
        a = await s.get(Assistant, assistant.id)
        assert a is not None
        contact = await contacts.upsert(s, assistant=a, visitor_id="toy-visitor")
        conv = await conversations.get_or_create_conversation(
            s, assistant=a, contact=contact, channel=TOY
        )
        return Shop(a, conv.id, contact.id)


async def _send(s: AsyncSession, shop: Shop, text: str, **options: Any) -> conversations.Sent:
    assistant = await s.get(Assistant, shop.assistant.id)
    assert assistant is not None
    options.setdefault("to", conversations.Recipient(conversation_id=shop.conversation_id))
    return await conversations.send(
        s,
        assistant=assistant,
        content=conversations.MessageContent.of_text(text),
        origin=options.pop("origin", conversations.Origin.INBOX),
        **options,
    )


async def _balance(db: Database, shop: Shop) -> int:
    async with db.session() as s:
        return await billing.balance(s, shop.assistant.workspace_id)


async def test_a_new_channel_is_added_by_implementing_the_sender_interface_alone(
    db: Database, worker: Worker, toy: ToyChannel
) -> None:
    shop = await _shop(db)
    before = await _balance(db, shop)
    async with db.transaction() as s:
        sent = await _send(s, shop, "Your order is on its way", author="user-1")
    assert sent.created and sent.message.status == "queued"
    await worker.drain()  # the channel.send job
    assert [(p.to, p.text, p.kind) for p in toy.posted] == [
        ("toy-visitor", "Your order is on its way", "text")
    ]
    assert toy.in_transaction_during_post == [False]  # committed before the call
    async with db.session() as s:
        stored = await s.get(Message, sent.message.id)
        assert stored is not None
        assert (stored.status, stored.external_id, stored.channel) == ("sent", "toy-1", TOY)
        assert (stored.sender, stored.author_id, stored.credits_charged) == ("agent", "user-1", 2)
    assert await _balance(db, shop) == before - 2


async def test_a_new_channel_is_delivered_now_the_same_way(db: Database, toy: ToyChannel) -> None:
    """``Delivery.NOW`` (the Developer API's synchronous send) needs nothing more of a channel:
    stored ``sending`` with no job, delivered by the caller after its commit."""
    shop = await _shop(db)
    before = await _balance(db, shop)
    async with db.session() as s:
        sent = await _send(
            s, shop, "now", origin=conversations.Origin.API, delivery=conversations.Delivery.NOW
        )
        assert sent.message.status == "sending"
        result = await conversations.deliver_now(s, sent.message)
        await conversations.record_sent(s, sent.message, result.external_id)
        await commit(s)
        toy.fail_next = ChannelError("toy outage", code="TOY_DOWN", retryable=True)
        second = await _send(
            s, shop, "later", origin=conversations.Origin.API, delivery=conversations.Delivery.NOW
        )
        with pytest.raises(ChannelError) as failure:
            await conversations.deliver_now(s, second.message)
        await conversations.record_unsent(s, second.message, failure.value)
        await commit(s)
    assert toy.in_transaction_during_post == [False, False]
    async with db.session() as s:
        first = await s.get(Message, sent.message.id)
        failed = await s.get(Message, second.message.id)
        jobs = await s.scalar(
            select(func.count()).select_from(Job).where(Job.kind == "channel.send")
        )
    assert first is not None and (first.status, first.sender) == ("sent", "api")
    # The caller answered "failed": never sent later, and refunded.
    assert failed is not None and (failed.status, failed.error_code) == ("failed", "TOY_DOWN")
    assert jobs == 0
    assert await _balance(db, shop) == before - 2


async def test_the_service_window_applies_to_any_channel_that_says_it_has_one(
    db: Database, toy: ToyChannel
) -> None:
    toy.requires_service_window = True
    shop = await _shop(db)
    async with db.session() as s:
        with pytest.raises(conversations.ServiceWindowClosed):
            await _send(s, shop, "hello")
        assistant = await s.get(Assistant, shop.assistant.id)
        assert assistant is not None
        template = await conversations.send(
            s,
            assistant=assistant,
            to=conversations.Recipient(conversation_id=shop.conversation_id),
            content=conversations.MessageContent.of(
                OutboundMessage(type="template", template=OutboundTemplate(name="hello"))
            ),
            origin=conversations.Origin.BROADCAST,
        )
        assert template.message.credits_charged == 4
        await commit(s)
    async with db.session() as s:
        kinds = list(await s.scalars(select(Message.type).where(Message.direction == "out")))
    assert kinds == ["template"]


async def test_a_repeated_idempotency_key_returns_the_first_message_without_a_second_charge(
    db: Database, worker: Worker, toy: ToyChannel
) -> None:
    shop = await _shop(db)
    before = await _balance(db, shop)
    async with db.transaction() as s:
        first = await _send(s, shop, "once", idempotency_key="k-1")
    async with db.transaction() as s:
        again = await _send(s, shop, "once", idempotency_key="k-1")
        by_contact = await _send(
            s,
            shop,
            "once",
            idempotency_key="k-1",
            to=conversations.Recipient(contact_id=shop.contact_id),
        )
    assert first.created and not again.created and not by_contact.created
    assert again.message.id == first.message.id == by_contact.message.id
    await worker.drain()
    assert len(toy.posted) == 1
    async with db.session() as s:
        charges = await s.scalar(
            select(func.count())
            .select_from(LedgerEntry)
            .where(LedgerEntry.reference == f"msg:{first.message.id}")
        )
    assert charges == 1
    assert await _balance(db, shop) == before - 2


async def test_a_recipient_is_one_of_phone_contact_or_conversation_and_the_assistants(
    db: Database, toy: ToyChannel
) -> None:
    with pytest.raises(ValueError, match="one of"):
        conversations.Recipient()
    with pytest.raises(ValueError, match="one of"):
        conversations.Recipient(phone="+2348030000001", conversation_id="c1")
    shop = await _shop(db)
    other = await _shop_of_another_workspace(db)
    async with db.session() as s:
        sent = await _send(
            s, shop, "by contact", to=conversations.Recipient(contact_id=shop.contact_id)
        )
        assert sent.conversation.id == shop.conversation_id
        for to in (
            conversations.Recipient(conversation_id=other.conversation_id),
            conversations.Recipient(contact_id=other.contact_id),
        ):
            with pytest.raises(NotFound):
                await _send(s, shop, "not yours", to=to)


async def _shop_of_another_workspace(db: Database) -> Shop:
    _user, ws = await create_account(db, email="other@shop.test", business_name="Other")
    assistant = await create_assistant(db, workspace_id=ws.id, platform="widget")
    async with db.transaction() as s:
        a = await s.get(Assistant, assistant.id)
        assert a is not None
        contact = await contacts.upsert(s, assistant=a, visitor_id="their-visitor")
        conv = await conversations.get_or_create_conversation(
            s, assistant=a, contact=contact, channel=TOY
        )
        return Shop(a, conv.id, contact.id)
