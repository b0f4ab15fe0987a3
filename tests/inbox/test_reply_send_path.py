"""A reply from the inbox goes through ``conversations.send`` (origin ``agent``, its author),
on whatever channel the conversation is: here the web widget."""

from __future__ import annotations

import httpx
from sqlalchemy import select

from repdesk.assistants.models import Assistant
from repdesk.conversations import service as conversations
from repdesk.conversations.models import Message
from repdesk.db.engine import Database
from repdesk.jobs.worker import Worker
from tests.conversations.helpers import recording
from tests.factories import create_assistant, signed_in


async def test_an_inbox_reply_goes_through_the_one_send_path(
    client: httpx.AsyncClient, db: Database, worker: Worker
) -> None:
    account = await signed_in(client, db)
    widget_assistant = await create_assistant(
        db, workspace_id=account.workspace_id, platform="widget"
    )
    async with db.transaction() as s:
        assistant = await s.get(Assistant, widget_assistant.id)
        assert assistant is not None
        inbound = await conversations.record_inbound(
            s,
            assistant=assistant,
            channel="widget",
            type="text",
            text="Is anyone there?",
            external_id="v-9:c-1",
            visitor_id="v-9",
            trigger_ai=False,
        )
    conv_id = inbound.conversation.id
    with recording("widget") as widget:
        r = await client.post(
            f"/api/conversations/{conv_id}/messages",
            json={"text": "Yes, how can I help?", "idempotencyKey": "reply-1"},
        )
        assert r.status_code == 201, r.text
        again = await client.post(
            f"/api/conversations/{conv_id}/messages",
            json={"text": "Yes, how can I help?", "idempotencyKey": "reply-1"},
        )
        assert again.status_code == 201 and again.json()["id"] == r.json()["id"]
        await worker.drain()
    assert [(seen.sender, seen.text) for seen in widget.seen] == [("agent", "Yes, how can I help?")]
    async with db.session() as s:
        stored = list(
            await s.scalars(
                select(Message).where(
                    Message.conversation_id == conv_id, Message.direction == "out"
                )
            )
        )
    assert len(stored) == 1
    assert (stored[0].sender, stored[0].author_id, stored[0].status) == (
        "agent",
        account.user_id,
        "sent",
    )
