"""Amounts as people write them, and back."""

from __future__ import annotations

SYMBOLS = {"NGN": "₦", "USD": "$", "GBP": "£", "EUR": "€", "GHS": "GH₵", "KES": "KSh "}


def format_money(minor: int, currency: str = "NGN") -> str:
    """``1250000, "NGN"`` -> ``"₦12,500"`` (cents shown only when there are some)."""
    symbol = SYMBOLS.get(currency.upper(), currency.upper() + " ")
    whole, cents = divmod(abs(minor), 100)
    sign = "-" if minor < 0 else ""
    if cents:
        return f"{sign}{symbol}{whole:,}.{cents:02d}"
    return f"{sign}{symbol}{whole:,}"
