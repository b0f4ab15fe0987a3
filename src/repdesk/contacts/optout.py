"""Marketing opt-out over WhatsApp: a customer who writes one of the assistant's STOP keywords
is opted out and told so once; a START keyword opts them back in.

Keywords and replies live in the assistant's ``settings["contacts"]`` (``stopKeywords``,
``startKeywords``, ``optOutReply``, ``optInReply``); a message matches when, lowered and without
surrounding spaces and end punctuation, it equals a keyword. The confirmation is the reply to
that message: it is queued with the AI reply's idempotency key for it (``ai:{messageId}:0``),
so ``ai.reply`` finds it answered and does not answer STOP itself. It is not charged: telling a
customer they are unsubscribed is a duty, not a service.
"""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from repdesk.assistants.models import Assistant
from repdesk.contacts import service as contacts
from repdesk.contacts.models import Contact
from repdesk.conversations.models import Conversation
from repdesk.kit.errors import AppError, ValidationError

DEFAULT_STOP = (
    "stop",
    "stop all",
    "stopall",
    "unsubscribe",
    "opt out",
    "optout",
    "opt-out",
    "quit",
)
DEFAULT_START = ("start", "unstop", "subscribe", "opt in", "optin", "opt-in", "resume")
DEFAULT_OPT_OUT_REPLY = (
    "You will no longer receive marketing messages from us. Reply START to subscribe again."
)
DEFAULT_OPT_IN_REPLY = "You are subscribed to our messages again. Reply STOP to unsubscribe."
MAX_KEYWORD_LEN = 40
MAX_KEYWORDS = 20
_SPACES = re.compile(r"\s+")


def normalise(text: str) -> str:
    return _SPACES.sub(" ", (text or "").strip().lower()).strip(" .!?")


def settings_of(assistant: Assistant) -> dict[str, Any]:
    raw = (assistant.settings or {}).get("contacts") or {}
    return {
        "stopKeywords": list(raw.get("stopKeywords") or DEFAULT_STOP),
        "startKeywords": list(raw.get("startKeywords") or DEFAULT_START),
        "optOutReply": str(raw.get("optOutReply") or DEFAULT_OPT_OUT_REPLY),
        "optInReply": str(raw.get("optInReply") or DEFAULT_OPT_IN_REPLY),
        "lapsedDays": int(raw.get("lapsedDays") or 90),
    }


def clean_keywords(raw: list[str], field: str) -> list[str]:
    out: list[str] = []
    for word in raw:
        value = normalise(word) if isinstance(word, str) else ""
        if not value or len(value) > MAX_KEYWORD_LEN:
            raise ValidationError(
                f"{field}: each keyword must be 1 to {MAX_KEYWORD_LEN} characters."
            )
        if value not in out:
            out.append(value)
    if not out or len(out) > MAX_KEYWORDS:
        raise ValidationError(f"{field}: 1 to {MAX_KEYWORDS} keywords.")
    return out


def keyword_action(assistant: Assistant, text: str) -> bool | None:
    """True: the text opts out; False: it opts back in; None: neither."""
    if not text or len(text) > MAX_KEYWORD_LEN + 10:
        return None
    word = normalise(text)
    settings = settings_of(assistant)
    if word in settings["stopKeywords"]:
        return True
    if word in settings["startKeywords"]:
        return False
    return None


async def handle_inbound(
    session: AsyncSession,
    *,
    assistant: Assistant,
    conversation: Conversation,
    contact: Contact,
    message_id: str,
    text: str,
) -> None:
    """Apply a STOP/START keyword of a customer's message, and confirm the change once."""
    action = keyword_action(assistant, text)
    if action is None or not contacts.set_opted_out(contact, action):
        return
    settings = settings_of(assistant)
    reply = settings["optOutReply"] if action else settings["optInReply"]
    from repdesk.conversations import service as conversations

    try:
        async with session.begin_nested():
            await conversations.send(
                session,
                assistant=assistant,
                to=conversations.Recipient(conversation_id=conversation.id),
                content=conversations.MessageContent.of_text(reply),
                origin=conversations.Origin.SYSTEM,
                idempotency_key=f"ai:{message_id}:0",
            )
    except AppError:
        # The opt-out itself stands; a confirmation the channel refuses is not worth failing
        # the customer's message for.
        return
