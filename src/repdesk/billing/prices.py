"""The price table of the seed, in credits. The one place these numbers live."""

from __future__ import annotations

from typing import Final

AI_REPLY: Final = 1
OUTBOUND_TEXT: Final = 2
OUTBOUND_MEDIA: Final = 4
OUTBOUND_TEMPLATE: Final = 4
INBOUND: Final = 0

# $1 = 100 credits; ₦1,000 = 100 credits. Minimum top-up 100 credits.
CREDITS_PER_USD: Final = 100
CREDITS_PER_1000_NGN: Final = 100
MIN_TOPUP_CREDITS: Final = 100

MEDIA_TYPES: Final = frozenset({"image", "document", "audio", "video", "sticker"})


def outbound_price(message_type: str) -> int:
    """Credits for sending one outbound message of ``message_type``."""
    if message_type == "template":
        return OUTBOUND_TEMPLATE
    if message_type in MEDIA_TYPES:
        return OUTBOUND_MEDIA
    return OUTBOUND_TEXT


def outbound_reason(message_type: str) -> str:
    if message_type == "template":
        return "outbound_template"
    if message_type in MEDIA_TYPES:
        return "outbound_media"
    return "outbound_text"
