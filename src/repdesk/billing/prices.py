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
MAX_TOPUP_CREDITS: Final = 10_000_000
# The packages the Billing page offers (any whole number from the minimum is allowed too).
CREDIT_PACKAGES: Final = (500, 1_000, 5_000, 10_000)
# Currencies a top-up is charged in, and those shown to their users but charged the USD
# equivalent (the seed: "GBP, EUR, CAD, AUD: USD equivalent via payment provider").
CHARGE_CURRENCIES: Final = ("NGN", "USD")
USD_EQUIVALENT: Final = ("GBP", "EUR", "CAD", "AUD")

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


def charge_currency(currency: str) -> str:
    """The currency a top-up chosen in ``currency`` is charged in."""
    code = currency.upper()
    return "USD" if code in USD_EQUIVALENT else code


def topup_amount(credits: int, currency: str) -> int:
    """What ``credits`` cost in minor units of ``currency`` (NGN or USD): 100 credits are
    $1.00 (100 cents) or ₦1,000 (100,000 kobo)."""
    if currency == "USD":
        return credits * 100 // CREDITS_PER_USD
    if currency == "NGN":
        return credits * 1000 * 100 // CREDITS_PER_1000_NGN
    raise ValueError(f"top-ups are not priced in {currency}")
