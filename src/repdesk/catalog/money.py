"""Formatting integer minor units for people and for retrieval text (no dependencies, so the
knowledge package can use it without importing the catalog service)."""

from __future__ import annotations

# ISO 4217 currencies without minor units; every other currency has two decimals here.
ZERO_DECIMAL = {"JPY": 0, "KRW": 0, "XOF": 0, "XAF": 0, "UGX": 0, "RWF": 0}
SYMBOLS = {"NGN": "₦", "USD": "$", "GBP": "£", "EUR": "€", "GHS": "GH₵", "KES": "KSh "}


def decimals(currency: str) -> int:
    return ZERO_DECIMAL.get(currency.upper(), 2)


def format_price(minor: int, currency: str) -> str:
    """``2500050, "NGN"`` -> ``₦25,000.50``; whole amounts drop ``.00``."""
    places = decimals(currency)
    amount = f"{minor / 10**places:,.{places}f}" if places else f"{minor:,}"
    if places and amount.endswith("." + "0" * places):
        amount = amount[: -places - 1]
    symbol = SYMBOLS.get(currency.upper())
    return f"{symbol}{amount}" if symbol else f"{currency.upper()} {amount}"
