"""The widget's ChannelSender: an outbound message is pushed to the visitor's open widgets.

``post`` queues a realtime event on ``widget:{visitorId}`` in the session; it is published
when the send is recorded and committed, and every gateway (WebSocket or SSE) subscribed for that
visitor, on any replica, forwards it. A visitor who is offline sees it in the history next time.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from repdesk.channels.base import ChannelError, OutboundMessage, SendResult, register_sender
from repdesk.channels.widget.service import public_message, visitor_topic
from repdesk.contacts.models import Contact
from repdesk.conversations.models import Conversation, Message
from repdesk.db.engine import queue_realtime
from repdesk.kit.errors import ValidationError
from repdesk.kit.ids import new_id


class WidgetSender:
    channel = "widget"
    requires_service_window = False

    async def validate(
        self, session: AsyncSession, conversation: Conversation, outbound: OutboundMessage
    ) -> None:
        if outbound.type == "template":
            raise ValidationError("Templates are a WhatsApp feature: send text to a web visitor.")
        if outbound.type in ("sticker", "video"):
            raise ValidationError(f"The web widget cannot show {outbound.type} messages.")
        if outbound.type == "text" and not (outbound.text or "").strip():
            raise ValidationError("text: the message is empty.")

    async def prepare(self, session: AsyncSession, message: Message) -> tuple[str, dict[str, Any]]:
        """The visitor's topic and the message as the visitor sees it."""
        conv = await session.get(Conversation, message.conversation_id)
        contact = await session.get(Contact, conv.contact_id) if conv else None
        if contact is None or not contact.visitor_id:
            raise ChannelError("This conversation has no web visitor.", code="CHANNEL_UNAVAILABLE")
        data = public_message(message)
        data["status"] = "sent"
        return visitor_topic(contact.visitor_id), data

    async def post(self, session: AsyncSession, prepared: tuple[str, dict[str, Any]]) -> SendResult:
        """Published when the transaction that records the send commits."""
        topic, data = prepared
        queue_realtime(session, topic, {"type": "message", "message": data})
        return SendResult(external_id="wm_" + new_id())


sender = register_sender(WidgetSender())
