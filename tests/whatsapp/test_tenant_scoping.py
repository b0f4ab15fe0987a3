"""Provider ids are scoped by connection: what one tenant posts to its own webhook never
suppresses, changes or stands in for another tenant's messages, statuses or templates."""

from __future__ import annotations

import time
from typing import Any

import httpx
from sqlalchemy import func, select

from repdesk.channels.base import OutboundMessage
from repdesk.channels.whatsapp import templates
from repdesk.channels.whatsapp.models import WhatsAppConnection
from repdesk.conversations.models import Conversation, Message
from repdesk.db.engine import Database
from repdesk.inbound.models import InboundEvent
from repdesk.jobs.worker import Worker
from tests.conversations.helpers import send_as
from tests.fakes.graph import FakeGraph
from tests.whatsapp.helpers import (
    APP_SECRET,
    CUSTOMER,
    another_number,
    connected_assistant,
    dumps,
    envelope,
    sign,
    text,
    wamid,
)
from tests.whatsapp.test_webhooks import ingest


async def _post(
    db: Database, client: httpx.AsyncClient, conn: WhatsAppConnection, payload: Any
) -> httpx.Response:
    body = dumps(payload)
    r = await client.post(
        f"/webhooks/whatsapp_cloud/{conn.webhook_path}",
        content=body,
        headers={"content-type": "application/json", "x-hub-signature-256": sign(body)},
    )
    assert r.status_code == 200, r.text
    await ingest(db)
    return r


async def _messages_of(db: Database, assistant_id: str) -> list[Message]:
    async with db.session() as session:
        return list(
            await session.scalars(select(Message).where(Message.assistant_id == assistant_id))
        )


async def test_the_same_wamid_on_two_tenants_webhooks_is_stored_for_each(
    db: Database, graph: FakeGraph, client: httpx.AsyncClient
) -> None:
    genuine, genuine_conn = await connected_assistant(db, graph)
    other = another_number(graph)
    rival, rival_conn = await connected_assistant(db, graph, email="rival@x.test", number=other)
    shared = wamid()
    # The rival posts the genuine message's id to its own webhook first.
    forged = await _post(
        db, client, rival_conn, envelope(graph, number=other, messages=[text("x", id_=shared)])
    )
    assert forged.json()["received"] == 1
    real = await _post(
        db, client, genuine_conn, envelope(graph, messages=[text("my order", id_=shared)])
    )
    assert real.json() == {"received": 1, "duplicates": 0, "statuses": 0}
    [mine] = await _messages_of(db, genuine.id)
    [theirs] = await _messages_of(db, rival.id)
    assert (mine.text, mine.external_id) == ("my order", shared)
    assert (theirs.text, theirs.external_id) == ("x", shared)

    # Meta redelivers to the genuine tenant: still stored once.
    again = await _post(
        db, client, genuine_conn, envelope(graph, messages=[text("my order", id_=shared)])
    )
    assert again.json() == {"received": 0, "duplicates": 1, "statuses": 0}
    assert len(await _messages_of(db, genuine.id)) == 1
    async with db.session() as session:
        events = await session.scalar(select(func.count()).select_from(InboundEvent))
        conv = await session.scalar(
            select(Conversation).where(Conversation.assistant_id == genuine.id)
        )
    assert events == 2
    assert conv is not None and conv.message_count == 1


async def test_a_status_posted_to_another_webhook_does_not_touch_the_message(
    db: Database, graph: FakeGraph, client: httpx.AsyncClient, worker: Worker
) -> None:
    genuine, genuine_conn = await connected_assistant(db, graph)
    other = another_number(graph)
    _rival, rival_conn = await connected_assistant(db, graph, email="rival@x.test", number=other)
    await _post(db, client, genuine_conn, envelope(graph, messages=[text("hi")]))
    async with db.transaction() as session:
        conv = await session.scalar(
            select(Conversation).where(Conversation.assistant_id == genuine.id)
        )
        assert conv is not None
        out = await send_as(
            session,
            conversation=conv,
            sender="agent",
            outbound=OutboundMessage(type="text", text="ok"),
        )
    await worker.drain()
    async with db.session() as session:
        sent = await session.get(Message, out.id)
    assert sent is not None and sent.status == "sent" and sent.external_id

    status: dict[str, Any] = {
        "id": sent.external_id,
        "status": "failed",
        "timestamp": str(int(time.time())),
        "recipient_id": CUSTOMER,
        "errors": [{"code": 131026, "title": "Message undeliverable"}],
    }
    r = await _post(db, client, rival_conn, envelope(graph, number=other, statuses=[status]))
    assert r.json()["statuses"] == 1  # stored for the rival, whose messages it cannot name
    async with db.session() as session:
        after = await session.get(Message, out.id)
    assert after is not None and after.status == "sent" and after.failed_at is None

    # The same status on the genuine webhook is applied.
    await _post(db, client, genuine_conn, envelope(graph, statuses=[status]))
    async with db.session() as session:
        after = await session.get(Message, out.id)
    assert after is not None and after.status == "failed"


async def test_a_template_update_applies_only_to_the_connection_it_came_to(
    db: Database, graph: FakeGraph, client: httpx.AsyncClient, worker: Worker
) -> None:
    genuine, _genuine_conn = await connected_assistant(db, graph)
    await worker.drain()  # the genuine tenant's templates are synced
    # The rival claims the genuine tenant's WhatsApp Business Account id for its own number.
    other = another_number(graph, business_account_id=graph.business_account_id)
    _rival, rival_conn = await connected_assistant(db, graph, email="rival@x.test", number=other)
    update = {
        "object": "whatsapp_business_account",
        "entry": [
            {
                "id": graph.business_account_id,
                "time": int(time.time()),
                "changes": [
                    {
                        "field": "message_template_status_update",
                        "value": {
                            "event": "DISABLED",
                            "message_template_id": 1,
                            "message_template_name": "order_confirmation",
                            "message_template_language": "en_US",
                            "reason": "NONE",
                        },
                    }
                ],
            }
        ],
    }
    body = dumps(update)
    r = await client.post(
        f"/webhooks/whatsapp_cloud/{rival_conn.webhook_path}",
        content=body,
        headers={"x-hub-signature-256": sign(body, APP_SECRET)},
    )
    assert r.status_code == 200
    await ingest(db)
    async with db.session() as session:
        tpl = await templates.get_template(session, genuine.id, "order_confirmation", "en_US")
    assert tpl is not None and tpl.status == "APPROVED"
