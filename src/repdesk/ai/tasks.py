"""``ai.reply``: answer one customer message with the assistant's engine.

Skips when automation is off or a newer customer message exists (it has its own job). Each
AI reply costs exactly 1 credit in total (the seed's "AI text response 1 credit"), charged
once per customer message with reference ``ai:{messageId}``; the outbound message itself is
queued with ``charge=False``. With no credits the assistant stays silent, the conversation is
flagged for a person and the owners are emailed. Idempotent: replies carry idempotency keys
``ai:{messageId}:{n}`` and the charge reference is unique.
"""

from __future__ import annotations

import logging

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from repdesk.ai import service
from repdesk.ai.engine.base import Turn
from repdesk.ai.schemas import AiReplyJob
from repdesk.assistants.models import Assistant
from repdesk.billing import prices
from repdesk.billing import service as billing
from repdesk.contacts.models import Contact
from repdesk.conversations import service as conversations
from repdesk.conversations.models import Conversation, Message
from repdesk.db.engine import commit_then
from repdesk.jobs.registry import task
from repdesk.kit.errors import AppError, InsufficientCredits

log = logging.getLogger("repdesk.ai")
HISTORY_TURNS = 12


@task(AiReplyJob, max_attempts=3)
async def reply(session: AsyncSession, job: AiReplyJob) -> None:
    conv = await session.get(Conversation, job.conversation_id)
    message = await session.get(Message, job.message_id)
    if conv is None or message is None or not conv.automation_enabled:
        return
    newer = await session.scalar(
        select(Message.id)
        .where(
            Message.conversation_id == conv.id, Message.direction == "in", Message.id > message.id
        )
        .limit(1)
    )
    if newer is not None:
        return
    already = await session.scalar(
        select(Message.id).where(
            Message.assistant_id == conv.assistant_id,
            Message.idempotency_key == f"ai:{message.id}:0",
        )
    )
    if already is not None:
        return
    assistant = await session.get(Assistant, conv.assistant_id)
    contact = await session.get(Contact, conv.contact_id)
    assert assistant is not None and contact is not None

    if await billing.balance(session, assistant.workspace_id) < prices.AI_REPLY:
        await _out_of_credits(session, assistant, conv)
        return

    rows = (
        await session.scalars(
            select(Message)
            .where(Message.conversation_id == conv.id, Message.id < message.id)
            .order_by(Message.id.desc())
            .limit(HISTORY_TURNS)
        )
    ).all()
    history = [
        Turn("customer" if m.direction == "in" else "business", m.text) for m in reversed(rows)
    ]
    # The engine may call an LLM: hold no write locks during that call.
    await service.load_state(session, key=f"conv:{conv.id}", assistant_id=assistant.id)
    turnout = await commit_then(
        session,
        lambda: service.respond(
            session,
            assistant=assistant,
            text=message.text,
            state_key=f"conv:{conv.id}",
            channel=conv.channel,
            history=history,
            contact_name=contact.name,
            contact_phone=contact.phone,
            contact_email=contact.email,
            conversation_id=conv.id,
        ),
    )
    result = turnout.result
    # Lock order shared by every sender: the conversation row, then the workspace's credits.
    await conversations.lock_conversation(session, conv.id)
    if result.replies:
        try:
            await billing.charge(
                session,
                workspace_id=assistant.workspace_id,
                credits=prices.AI_REPLY,
                reason="ai_reply",
                reference=f"ai:{message.id}",
                description="AI reply",
            )
        except InsufficientCredits:
            await _out_of_credits(session, assistant, conv)
            return
    for n, text in enumerate(result.replies):
        try:
            await conversations.send(
                session,
                assistant=assistant,
                to=conversations.Recipient(conversation_id=conv.id),
                content=conversations.MessageContent.of_text(text),
                origin=conversations.Origin.AI,
                idempotency_key=f"ai:{message.id}:{n}",
                paid_by=f"ai:{message.id}",  # the AI reply's one credit, charged above
            )
        except AppError as exc:  # e.g. the service window closed meanwhile
            log.warning("ai reply not queued: %s", exc.code)
            break
    await service.apply_actions(
        session,
        assistant=assistant,
        actions=result.actions,
        conversation=conv,
        contact_id=contact.id,
    )


async def _out_of_credits(session: AsyncSession, assistant: Assistant, conv: Conversation) -> None:
    if conv.needs_human and conv.handoff_reason == "Out of credits":
        return
    await conversations.request_human(session, conv, "Out of credits")
    await service.notify_owners(
        session,
        assistant=assistant,
        subject="Your assistant is out of credits",
        body=(
            f"{assistant.name} could not answer a customer because the workspace has no "
            "credits left. The conversation is waiting for a person in the inbox. "
            "Top up from the billing page to turn replies back on."
        ),
    )
