"""The widget's ChannelSender: an outbound message is pushed to the visitor's open widgets.

``send`` queues a realtime event on ``widget:{visitorId}`` in the job's session; it is published
when the ``channel.send`` job commits, and every gateway (WebSocket or SSE) subscribed for that
visitor, on any replica, forwards it. A visitor who is offline sees it in the history next time.
"""

from __future__ import annotations

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

    async def send(self, session: AsyncSession, message: Message) -> SendResult:
        conv = await session.get(Conversation, message.conversation_id)
        contact = await session.get(Contact, conv.contact_id) if conv else None
        if contact is None or not contact.visitor_id:
            raise ChannelError("This conversation has no web visitor.", code="CHANNEL_UNAVAILABLE")
        external_id = "wm_" + new_id()
        data = public_message(message)
        data["status"] = "sent"
        queue_realtime(
            session, visitor_topic(contact.visitor_id), {"type": "message", "message": data}
        )
        return SendResult(external_id=external_id)


sender = register_sender(WidgetSender())
