"""The message pipeline (DESIGN.md): every channel and every sender calls these functions;
nothing else writes conversations or messages.

- :func:`send` (``outbound``): the one way to send a message, for every caller and channel.
- :func:`record_inbound` / :func:`record_inbound_many` (``inbound``): customer messages.
- :func:`deliver`, the ``channel.send`` job, :func:`deliver_now`, :func:`apply_status`
  (``delivery``): getting a message to its channel, and the channel's reports.
- Inbox actions (``actions``), and what they share (``base``).
"""

from __future__ import annotations

from repdesk.conversations.actions import (
    mark_read,
    request_human,
    set_automation,
    set_status,
    update_content,
)
from repdesk.conversations.base import (
    PREVIEW_LEN,
    SERVICE_WINDOW,
    ServiceWindowClosed,
    get_conversation,
    get_conversation_for_workspace,
    get_or_create_conversation,
    lock_conversation,
    message_data,
    window_open,
)
from repdesk.conversations.content import MessageContent
from repdesk.conversations.delivery import (
    apply_status,
    deliver,
    deliver_now,
    mark_failed,
    record_sent,
    record_unsent,
)
from repdesk.conversations.inbound import Inbound, NewInbound, record_inbound, record_inbound_many
from repdesk.conversations.outbound import (
    Delivery,
    Origin,
    Recipient,
    Sent,
    check_sendable,
    send,
)

__all__ = [
    "PREVIEW_LEN",
    "SERVICE_WINDOW",
    "Delivery",
    "Inbound",
    "MessageContent",
    "NewInbound",
    "Origin",
    "Recipient",
    "Sent",
    "ServiceWindowClosed",
    "apply_status",
    "check_sendable",
    "deliver",
    "deliver_now",
    "get_conversation",
    "get_conversation_for_workspace",
    "get_or_create_conversation",
    "lock_conversation",
    "mark_failed",
    "mark_read",
    "message_data",
    "record_inbound",
    "record_inbound_many",
    "record_sent",
    "record_unsent",
    "request_human",
    "send",
    "set_automation",
    "set_status",
    "update_content",
    "window_open",
]
