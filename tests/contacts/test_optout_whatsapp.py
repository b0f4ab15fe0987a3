"""Opt-out over the WhatsApp webhook (the fake Graph API): STOP opts out and is confirmed once,
broadcasts and marketing templates skip the contact, START opts back in."""

from __future__ import annotations

import httpx
import pytest
from sqlalchemy import select, update

from repdesk.assistants.models import Assistant
from repdesk.campaigns import service as campaigns
from repdesk.campaigns.models import BroadcastRecipient
from repdesk.channels.base import OutboundMessage, OutboundTemplate
from repdesk.channels.whatsapp.models import WhatsAppTemplate
from repdesk.contacts import optout
from repdesk.contacts.models import Contact
from repdesk.conversations import service as conversations
from repdesk.conversations.models import Conversation, Message
from repdesk.db.engine import Database
from repdesk.jobs.worker import Worker
from repdesk.kit.errors import AppError
from tests.fakes.graph import FakeGraph
from tests.whatsapp.helpers import CUSTOMER, connected_assistant, envelope, text
from tests.whatsapp.test_webhooks import post


def _bodies(graph: FakeGraph) -> list[str]:
    return [s["text"]["body"] for s in graph.sent if s.get("type") == "text"]


async def _contact(db: Database) -> Contact:
    async with db.transaction() as session:
        found = await session.scalar(select(Contact).where(Contact.phone == "+" + CUSTOMER))
        assert found is not None
        return found


async def test_stop_and_start_over_the_webhook(
    db: Database, graph: FakeGraph, client: httpx.AsyncClient
) -> None:
    assistant, conn = await connected_assistant(db, graph)
    worker = Worker(db, poll_interval=0.05)
    await post(db, client, conn, envelope(graph, messages=[text("Hello, do you sell shoes?")]))
    await worker.drain()
    assert not (await _contact(db)).opted_out

    await post(db, client, conn, envelope(graph, messages=[text("  Stop! ")]))
    await worker.drain()
    contact = await _contact(db)
    assert contact.opted_out and contact.opted_out_at is not None
    assert _bodies(graph).count(optout.DEFAULT_OPT_OUT_REPLY) == 1
    assert _bodies(graph)[-1] == optout.DEFAULT_OPT_OUT_REPLY  # the AI did not answer STOP
    async with db.transaction() as session:
        reply = await session.scalar(select(Message).where(Message.sender == "system"))
        assert reply is not None and reply.credits_charged == 0
    await post(db, client, conn, envelope(graph, messages=[text("STOP")]))
    await worker.drain()
    assert _bodies(graph).count(optout.DEFAULT_OPT_OUT_REPLY) == 1  # told once

    # Broadcasts skip the contact; so does a marketing template.
    async with db.transaction() as session:
        a = await session.get(Assistant, assistant.id)
        assert a is not None
        await session.execute(
            update(WhatsAppTemplate)
            .where(WhatsAppTemplate.name == "welcome_back")
            .values(category="MARKETING")
        )
        promo = OutboundMessage(
            type="template",
            template=OutboundTemplate(
                name="welcome_back",
                components=[{"type": "body", "parameters": [{"type": "text", "text": "Ade"}]}],
            ),
        )
        broadcast = await campaigns.create(
            session, assistant=a, outbound=promo, recipients=["+" + CUSTOMER]
        )
    await Worker(db, kinds=["broadcasts.send"], poll_interval=0.05).drain()
    async with db.transaction() as session:
        recipient = await session.scalar(
            select(BroadcastRecipient).where(BroadcastRecipient.broadcast_id == broadcast.id)
        )
        assert recipient is not None and recipient.status == "skipped"
        assert (recipient.reason or "").startswith("CONTACT_OPTED_OUT")
        conv = await session.scalar(select(Conversation))
        assert conv is not None
        with pytest.raises(AppError) as err:
            await conversations.send(
                session,
                assistant=a,
                to=conversations.Recipient(conversation_id=conv.id),
                content=conversations.MessageContent.of(promo),
                origin=conversations.Origin.API,
            )
        assert err.value.code == "CONTACT_OPTED_OUT"

    await post(db, client, conn, envelope(graph, messages=[text("start")]))
    await worker.drain()
    contact = await _contact(db)
    assert not contact.opted_out and contact.opted_out_at is None
    assert _bodies(graph)[-1] == optout.DEFAULT_OPT_IN_REPLY
    assert contact.outbound_count >= 3 and contact.last_contacted_at is not None


async def test_owner_keywords_and_manual_toggle(
    db: Database, graph: FakeGraph, client: httpx.AsyncClient
) -> None:
    from tests.factories import login

    assistant, conn = await connected_assistant(db, graph)
    await login(client, email="owner@shop.test", password="correct horse battery")
    r = await client.put(
        f"/api/assistants/{assistant.id}/contacts/settings",
        json={
            "stopKeywords": ["comot"],
            "startKeywords": ["i dey back"],
            "optOutReply": "You don comot.",
            "optInReply": "Welcome back o.",
            "lapsedDays": 60,
        },
    )
    assert r.status_code == 200, r.text
    worker = Worker(db, poll_interval=0.05)
    await post(db, client, conn, envelope(graph, messages=[text("stop")]))
    await worker.drain()
    assert not (await _contact(db)).opted_out  # not this assistant's keyword any more
    await post(db, client, conn, envelope(graph, messages=[text("Comot")]))
    await worker.drain()
    contact = await _contact(db)
    assert contact.opted_out and _bodies(graph)[-1] == "You don comot."
    back = await client.patch(f"/api/contacts/{contact.id}", json={"optedOut": False})
    assert back.status_code == 200 and back.json()["optedOut"] is False
    assert not (await _contact(db)).opted_out
