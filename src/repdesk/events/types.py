"""The one list of domain events: each name with the Pydantic model of its ``data``.

``emit`` accepts only an ``Event`` with an instance of its model, and ``on_event`` only patterns
that match a listed event, so a typo fails at import or at the emitting line, not silently.
Consumers that list events (developer webhooks, the workflow builder's triggers) read them
from here. The ``data`` goes on the wire as ``model.model_dump(by_alias=True, mode="json")``:
camelCase, in field order (developer webhooks sign that body; its shape is the seed's).
"""

from __future__ import annotations

import fnmatch
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel


class Event(StrEnum):
    # messages (message.received|sent|delivered|read|failed reach developer webhooks)
    MESSAGE_RECEIVED = "message.received"
    MESSAGE_QUEUED = "message.queued"
    MESSAGE_SENT = "message.sent"
    MESSAGE_DELIVERED = "message.delivered"
    MESSAGE_READ = "message.read"
    MESSAGE_FAILED = "message.failed"
    MESSAGE_UPDATED = "message.updated"
    MESSAGE_MEDIA_STORED = "message.media_stored"
    # conversations
    CONVERSATION_OPENED = "conversation.opened"
    CONVERSATION_UPDATED = "conversation.updated"
    CONVERSATION_CLOSED = "conversation.closed"
    CONVERSATION_HANDED_OFF = "conversation.handed_off"
    # contacts
    CONTACT_CREATED = "contact.created"
    CONTACT_UPDATED = "contact.updated"
    CONTACT_TAGGED = "contact.tagged"
    CONTACT_UNTAGGED = "contact.untagged"
    # orders and payments
    ORDER_CREATED = "order.created"
    ORDER_UPDATED = "order.updated"
    ORDER_PAID = "order.paid"
    PAYMENT_SUCCEEDED = "payment.succeeded"
    PAYMENT_FAILED = "payment.failed"
    # campaigns
    BROADCAST_COMPLETED = "broadcast.completed"


class EventData(BaseModel):
    """Base of every event's data: snake_case in Python, camelCase on the wire."""

    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, frozen=True)

    def wire(self) -> dict[str, Any]:
        return self.model_dump(by_alias=True, mode="json")


class MessageData(EventData):
    """A message as developers see it (``GET /v1/messages/{id}``'s shape and every
    ``message.*`` webhook's ``data``)."""

    id: str
    conversation_id: str
    from_: str | None = Field(alias="from")
    to: str | None
    direction: str
    type: str
    text: str | None
    content: Any
    status: str
    sender: str
    channel: str
    external_id: str | None
    customer_name: str | None
    error_code: str | None
    error_title: str | None
    timestamp: str


class MediaStoredData(EventData):
    message_id: str
    file_id: str
    mime_type: str
    type: str
    conversation_id: str


class ConversationData(EventData):
    id: str
    contact_id: str
    channel: str
    status: str
    automation_enabled: bool
    needs_human: bool
    handoff_reason: str | None


class ContactData(EventData):
    id: str
    phone: str | None
    visitor_id: str | None
    name: str | None
    tags: list[str]


class ContactTagData(EventData):
    contact_id: str
    tag: str


class OrderData(EventData):
    id: str
    number: int
    assistant_id: str
    conversation_id: str | None
    status: str
    payment_status: str
    total: int
    currency: str
    test: bool


class PaymentData(EventData):
    """A payment of an order or a credit top-up (amount in the currency's minor units)."""

    reference: str
    provider: str
    amount: int
    currency: str
    order_id: str | None
    reason: str | None = None


class BroadcastData(EventData):
    id: str
    name: str
    status: str
    counts: dict[str, int]


EVENTS: dict[Event, type[EventData]] = {
    Event.MESSAGE_RECEIVED: MessageData,
    Event.MESSAGE_QUEUED: MessageData,
    Event.MESSAGE_SENT: MessageData,
    Event.MESSAGE_DELIVERED: MessageData,
    Event.MESSAGE_READ: MessageData,
    Event.MESSAGE_FAILED: MessageData,
    Event.MESSAGE_UPDATED: MessageData,
    Event.MESSAGE_MEDIA_STORED: MediaStoredData,
    Event.CONVERSATION_OPENED: ConversationData,
    Event.CONVERSATION_UPDATED: ConversationData,
    Event.CONVERSATION_CLOSED: ConversationData,
    Event.CONVERSATION_HANDED_OFF: ConversationData,
    Event.CONTACT_CREATED: ContactData,
    Event.CONTACT_UPDATED: ContactData,
    Event.CONTACT_TAGGED: ContactTagData,
    Event.CONTACT_UNTAGGED: ContactTagData,
    Event.ORDER_CREATED: OrderData,
    Event.ORDER_UPDATED: OrderData,
    Event.ORDER_PAID: OrderData,
    Event.PAYMENT_SUCCEEDED: PaymentData,
    Event.PAYMENT_FAILED: PaymentData,
    Event.BROADCAST_COMPLETED: BroadcastData,
}

# The events a developer webhook endpoint can subscribe to (the seed's list).
WEBHOOK_EVENTS: tuple[Event, ...] = (
    Event.MESSAGE_RECEIVED,
    Event.MESSAGE_SENT,
    Event.MESSAGE_DELIVERED,
    Event.MESSAGE_READ,
    Event.MESSAGE_FAILED,
)


def matching(pattern: str) -> list[Event]:
    """The listed events a consumer's pattern (``message.*``) stands for."""
    return [e for e in Event if fnmatch.fnmatchcase(e.value, pattern)]
