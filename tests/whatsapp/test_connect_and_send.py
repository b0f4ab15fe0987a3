"""Connecting a number with BYOK credentials, and sending through the WhatsApp sender."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from repdesk.assistants.models import Assistant
from repdesk.billing import service as billing
from repdesk.channels.base import OutboundMessage, OutboundTemplate, get_sender
from repdesk.channels.whatsapp import service as wa
from repdesk.channels.whatsapp.models import WhatsAppConnection
from repdesk.conversations import service as conversations
from repdesk.conversations.models import Conversation, Message
from repdesk.db.engine import Database
from repdesk.jobs.worker import Worker
from repdesk.kit.errors import AppError
from repdesk.kit.time import utcnow
from tests.conversations.helpers import send_as
from tests.factories import create_account, create_assistant
from tests.fakes.graph import FakeGraph
from tests.whatsapp.helpers import CUSTOMER, connected_assistant


async def _conversation(
    db: Database, assistant: Assistant, *, window_open: bool = True
) -> Conversation:
    async with db.transaction() as session:
        a = await session.get(Assistant, assistant.id)
        assert a is not None
        inbound = await conversations.record_inbound(
            session,
            assistant=a,
            channel="whatsapp",
            type="text",
            text="hi",
            external_id=f"wamid.seed{assistant.id}",
            phone="+" + CUSTOMER,
            name="Ade",
            sent_at=utcnow() - (timedelta(hours=1) if window_open else timedelta(hours=30)),
            trigger_ai=False,
        )
        return inbound.conversation


async def test_connect_byok_validates_token_and_saves_encrypted(
    db: Database, graph: FakeGraph
) -> None:
    assistant, conn = await connected_assistant(db, graph)
    async with db.transaction() as session:
        row = await session.scalar(select(WhatsAppConnection))
        a = await session.get(Assistant, assistant.id)
    assert row is not None and a is not None
    assert a.channel_address == graph.e164
    assert graph.access_token not in row.access_token_enc and row.access_token_enc.startswith("v1:")
    assert wa.access_token(row) == graph.access_token
    assert row.display_name == graph.verified_name and row.quality_rating == "GREEN"
    assert len(row.webhook_path) >= 22 and graph.phone_number_id not in row.webhook_path
    checks = graph.requests_to(f"/{graph.phone_number_id}", "GET")
    assert checks and checks[0].headers["authorization"] == f"Bearer {graph.access_token}"


async def test_connect_byok_refuses_a_rejected_token_and_saves_nothing(
    db: Database, graph: FakeGraph
) -> None:
    _, ws = await create_account(db)
    assistant = await create_assistant(db, workspace_id=ws.id)
    async with db.transaction() as session:
        a = await session.get(Assistant, assistant.id)
        assert a is not None
        with pytest.raises(AppError) as err:
            await wa.connect_byok(
                session,
                a,
                access_token="EAAG-expired",
                phone_number_id=graph.phone_number_id,
                business_account_id=graph.business_account_id,
                phone_number=graph.e164,
                app_secret="an-app-secret",
            )
    assert err.value.status == 400 and err.value.code == "WHATSAPP_CREDENTIALS_INVALID"
    async with db.transaction() as session:
        assert await session.scalar(select(WhatsAppConnection)) is None


async def test_sender_formats_ai_text_and_stores_wamid(
    db: Database, graph: FakeGraph, worker: Worker
) -> None:
    assistant, _ = await connected_assistant(db, graph)
    conv = await _conversation(db, assistant)
    async with db.transaction() as session:
        c = await session.get(Conversation, conv.id)
        assert c is not None
        msg = await send_as(
            session,
            conversation=c,
            sender="ai",
            outbound=OutboundMessage(type="text", text="**Hello** see https://shop.test"),
        )
    await worker.drain()
    async with db.transaction() as session:
        stored = await session.get(Message, msg.id)
    assert (
        stored is not None and stored.status == "sent" and stored.external_id.startswith("wamid.")
    )
    assert graph.sent[-1]["to"] == "+" + CUSTOMER
    assert graph.sent[-1]["text"] == {"body": "*Hello* see https://shop.test", "preview_url": True}


async def test_sender_refuses_four_buttons_and_unapproved_templates(
    db: Database, graph: FakeGraph, worker: Worker
) -> None:
    assistant, _ = await connected_assistant(db, graph)
    await worker.drain()  # template sync
    conv = await _conversation(db, assistant, window_open=False)
    buttons = [
        {"type": "reply", "reply": {"id": f"b{i}", "title": f"Option {i}"}} for i in range(4)
    ]
    async with db.transaction() as session:
        c = await session.get(Conversation, conv.id)
        assert c is not None
        sender = get_sender("whatsapp")
        assert sender is not None
        with pytest.raises(AppError) as err:
            await sender.validate(
                session,
                c,
                OutboundMessage(
                    type="interactive",
                    interactive={
                        "type": "button",
                        "body": {"text": "Pick"},
                        "action": {"buttons": buttons},
                    },
                ),
            )
        assert err.value.code == "VALIDATION_ERROR"
        with pytest.raises(AppError) as err:
            await send_as(
                session,
                conversation=c,
                sender="api",
                outbound=OutboundMessage(
                    type="template", template=OutboundTemplate(name="spring_sale")
                ),
            )
        assert err.value.code == "TEMPLATE_NOT_APPROVED"
        with pytest.raises(AppError) as err:
            await send_as(
                session,
                conversation=c,
                sender="api",
                outbound=OutboundMessage(type="text", text="hi"),
            )
        assert err.value.code == "SERVICE_WINDOW_CLOSED"
        ok = await send_as(
            session,
            conversation=c,
            sender="api",
            outbound=OutboundMessage(
                type="template",
                template=OutboundTemplate(
                    name="order_confirmation",
                    components=[
                        {
                            "type": "body",
                            "parameters": [
                                {"type": "text", "text": "Ade"},
                                {"type": "text", "text": "A-1"},
                            ],
                        }
                    ],
                ),
            ),
        )
    await worker.drain()
    async with db.transaction() as session:
        stored = await session.get(Message, ok.id)
    assert stored is not None and stored.status == "sent" and stored.credits_charged == 4
    assert graph.sent[-1]["template"]["name"] == "order_confirmation"
    assert len(graph.sent) == 1


@pytest.mark.parametrize(
    ("code", "status", "expect_status", "expect_code", "retried"),
    [
        (131047, 400, "failed", "SERVICE_WINDOW_CLOSED", False),
        (131026, 400, "failed", "META_API_ERROR", False),
        (130429, 400, "sent", None, True),
        (1, 503, "sent", None, True),
    ],
)
async def test_meta_errors_map_to_message_outcomes(
    db: Database,
    graph: FakeGraph,
    worker: Worker,
    code: int,
    status: int,
    expect_status: str,
    expect_code: str | None,
    retried: bool,
) -> None:
    assistant, _ = await connected_assistant(db, graph)
    conv = await _conversation(db, assistant)
    async with db.transaction() as session:
        c = await session.get(Conversation, conv.id)
        assert c is not None
        before = await billing.balance(session, assistant.workspace_id)
        msg = await send_as(
            session,
            conversation=c,
            sender="agent",
            outbound=OutboundMessage(type="text", text="hello"),
        )
    graph.fail_next(code=code, status=status, path_contains="/messages")
    await worker.drain()
    if retried:  # backoff put it in the future: run it now
        async with db.transaction() as session:
            from repdesk.jobs.models import Job

            for job in await session.scalars(select(Job).where(Job.kind == "channel.send")):
                job.run_at = utcnow()
        await worker.drain()
    async with db.transaction() as session:
        stored = await session.get(Message, msg.id)
        after = await billing.balance(session, assistant.workspace_id)
    assert stored is not None and stored.status == expect_status
    assert stored.error_code == expect_code
    if expect_status == "failed":
        assert stored.meta_error_code == code
        assert after == before  # refunded
    else:
        assert after == before - 2
    assert len(graph.requests_to("/messages", "POST")) == (2 if retried else 1)


async def test_expired_token_marks_connection_disconnected(
    db: Database, graph: FakeGraph, worker: Worker
) -> None:
    assistant, _ = await connected_assistant(db, graph)
    conv = await _conversation(db, assistant)
    async with db.transaction() as session:
        c = await session.get(Conversation, conv.id)
        assert c is not None
        msg = await send_as(
            session,
            conversation=c,
            sender="agent",
            outbound=OutboundMessage(type="text", text="hello"),
        )
    graph.fail_next(code=190, status=401, path_contains="/messages")
    await worker.drain()
    async with db.transaction() as session:
        stored = await session.get(Message, msg.id)
        conn = await wa.get_connection(session, assistant.id)
    assert (
        stored is not None
        and stored.status == "failed"
        and stored.error_code == "CHANNEL_DISCONNECTED"
    )
    assert stored.meta_error_code == 190
    assert conn is not None and conn.status == "disconnected"


async def test_media_by_uploaded_file_and_by_link_and_reply_buttons(
    db: Database, graph: FakeGraph, worker: Worker
) -> None:
    from repdesk.channels.base import OutboundMedia
    from repdesk.files import service as files

    assistant, _ = await connected_assistant(db, graph)
    conv = await _conversation(db, assistant)
    buttons = [{"type": "reply", "reply": {"id": f"b{i}", "title": f"Size {i}"}} for i in range(3)]
    async with db.transaction() as session:
        c = await session.get(Conversation, conv.id)
        assert c is not None
        stored = await files.save(
            session,
            workspace_id=assistant.workspace_id,
            data=b"\x89PNG fake",
            mime_type="image/png",
            filename="shirt.png",
        )
        img = await send_as(
            session,
            conversation=c,
            sender="api",
            outbound=OutboundMessage(
                type="image", media=OutboundMedia(id=stored.id, caption="Our blue shirt")
            ),
        )
        doc = await send_as(
            session,
            conversation=c,
            sender="api",
            outbound=OutboundMessage(
                type="document",
                media=OutboundMedia(link="https://shop.test/price-list.pdf", filename="prices.pdf"),
            ),
        )
        btn = await send_as(
            session,
            conversation=c,
            sender="ai",
            outbound=OutboundMessage(
                type="interactive",
                interactive={
                    "type": "button",
                    "body": {"text": "Which **size**?"},
                    "action": {"buttons": buttons},
                },
            ),
        )
    await worker.drain()
    async with db.transaction() as session:
        rows = [await session.get(Message, m.id) for m in (img, doc, btn)]
    assert all(r is not None and r.status == "sent" for r in rows)
    assert [r.credits_charged for r in rows if r] == [4, 4, 2]
    upload = graph.requests_to("/media", "POST")
    assert len(upload) == 1 and b"\x89PNG fake" in upload[0].body
    by_type = {s["type"]: s for s in graph.sent}
    uploaded_id = by_type["image"]["image"]["id"]
    assert uploaded_id in graph.media and graph.media[uploaded_id][0] == b"\x89PNG fake"
    assert by_type["image"]["image"]["caption"] == "Our blue shirt"
    assert by_type["document"]["document"] == {
        "link": "https://shop.test/price-list.pdf",
        "filename": "prices.pdf",
    }
    assert by_type["interactive"]["interactive"]["body"]["text"] == "Which *size*?"
    assert len(by_type["interactive"]["interactive"]["action"]["buttons"]) == 3
