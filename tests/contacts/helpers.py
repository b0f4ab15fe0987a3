"""Test data for the customer book, made through the real services."""

from __future__ import annotations

from repdesk.assistants.models import Assistant
from repdesk.contacts.models import Contact
from repdesk.conversations import service as conversations
from repdesk.db.engine import Database


async def inbound(
    db: Database, assistant_id: str, *, phone: str, text: str = "hello", name: str | None = None
) -> str:
    """A customer message through the inbound path; returns the contact's id."""
    async with db.transaction() as session:
        assistant = await session.get(Assistant, assistant_id)
        assert assistant is not None
        result = await conversations.record_inbound(
            session,
            assistant=assistant,
            channel="whatsapp",
            type="text",
            text=text,
            phone=phone,
            name=name,
            trigger_ai=False,
        )
        return result.contact.id


async def contact(db: Database, contact_id: str) -> Contact:
    async with db.transaction() as session:
        found = await session.get(Contact, contact_id)
        assert found is not None
        return found
