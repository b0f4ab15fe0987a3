"""Money: the one place that knows how amounts are bounded, written and read (ADR 5).

Money is stored as 64-bit integers of the currency's minor units (kobo, cents; a yen or a CFA
franc has none, a Kuwaiti dinar has 1000 fils). Anything above ``MAX_MINOR_UNITS`` (10^15 minor
units: ₦10 trillion, $10 trillion) is refused as a 400 ``VALIDATION_ERROR``, so no sum of a few
such amounts can leave the 64-bit range.

``format_money`` writes an amount for people (replies, retrieval text, dashboard tables);
``parse_money`` reads what a person typed into a form; ``to_major`` is the plain number a form
field is pre-filled with. All three use ``minor_digits``, so a currency without minor units is
never shown or read as hundredths.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from typing import Annotated

from pydantic import Field

from repdesk.kit.errors import ValidationError

MAX_MINOR_UNITS = 10**15

# A request field holding an amount: an integer 0 … MAX_MINOR_UNITS (JSON numbers only).
MinorUnits = Annotated[int, Field(ge=0, le=MAX_MINOR_UNITS, strict=True)]

# ISO 4217 minor-unit exponents that are not 2 (every other currency has two decimals).
_NOT_TWO = {
    **dict.fromkeys(
        (
            "BIF", "CLP", "DJF", "GNF", "ISK", "JPY", "KMF", "KRW", "PYG", "RWF", "UGX", "UYI",
            "VND", "VUV", "XAF", "XOF", "XPF",
        ),
        0,
    ),
    **dict.fromkeys(("BHD", "IQD", "JOD", "KWD", "LYD", "OMR", "TND"), 3),
}  # fmt: skip
SYMBOLS = {"NGN": "₦", "USD": "$", "GBP": "£", "EUR": "€", "GHS": "GH₵", "KES": "KSh "}
# What a typed amount may carry besides the number: spaces, thousands commas, a symbol.
_NOT_AMOUNT = "|".join(
    [r"[\s,]", *(re.escape(s.strip()) for s in sorted(SYMBOLS.values(), key=len, reverse=True))]
)


def check_minor_units(value: int, field: str) -> int:
    """``value`` if it is an amount we store, else a ValidationError naming ``field``."""
    if value < 0 or value > MAX_MINOR_UNITS:
        raise ValidationError(
            f"{field}: an amount from 0 to {MAX_MINOR_UNITS:,} (integer minor units)"
        )
    return value


def minor_digits(currency: str) -> int:
    """How many decimals the currency's minor unit has: 0 (JPY, XOF), 2 (NGN, USD), 3 (KWD)."""
    return _NOT_TWO.get(currency.upper(), 2)


def _split(minor: int, digits: int) -> tuple[int, str]:
    """``abs(minor)`` as whole units and the fraction's digits (``""`` for none)."""
    if not digits:
        return abs(minor), ""
    whole, fraction = divmod(abs(minor), 10**digits)
    return whole, f"{fraction:0{digits}d}"


def format_money(minor: int, currency: str = "NGN", *, fixed: bool = False) -> str:
    """``1250000, "NGN"`` -> ``₦12,500``; ``1250050`` -> ``₦12,500.50``; ``1250, "JPY"`` ->
    ``JPY 1,250``; ``1250, "KWD"`` -> ``KWD 1.250``.

    A whole amount drops its zero fraction, as people write prices, unless ``fixed`` (tables,
    where the columns line up): ``₦12,500.00``. Integer arithmetic throughout (no float
    rounding near ``MAX_MINOR_UNITS``).
    """
    code = currency.upper()
    whole, fraction = _split(minor, minor_digits(code))
    amount = f"{whole:,}"
    if fraction and (fixed or fraction.strip("0")):
        amount += "." + fraction
    symbol = SYMBOLS.get(code, code + " ")
    return f"{'-' if minor < 0 else ''}{symbol}{amount}"


def to_major(minor: int, currency: str) -> str:
    """The plain number a form shows for ``minor``: ``2500050`` -> ``25000.50``, ``2500000``
    -> ``25000``, ``1250`` JPY -> ``1250``."""
    whole, fraction = _split(minor, minor_digits(currency))
    sign = "-" if minor < 0 else ""
    return f"{sign}{whole}.{fraction}" if fraction.strip("0") else f"{sign}{whole}"


def parse_money(text: str, currency: str, field: str = "price") -> int:
    """What a person typed (``25,000.50``, ``₦25000``, ``NGN 25000``) as minor units of
    ``currency``; a ValidationError naming ``field`` when it is not an amount we store (more
    decimals than the currency has, negative, above ``MAX_MINOR_UNITS``)."""
    code = currency.upper()
    cleaned = re.sub(_NOT_AMOUNT, "", text or "")
    cleaned = re.sub(re.escape(code), "", cleaned, flags=re.IGNORECASE)
    try:
        amount = Decimal(cleaned)
    except InvalidOperation as exc:
        raise ValidationError(f"{field}: enter an amount such as 25000 or 25,000.50") from exc
    digits = minor_digits(code)
    if not amount.is_finite() or amount < 0:
        raise ValidationError(f"{field}: enter a positive amount such as 25000 or 25,000.50")
    # Bounded while still a Decimal: 1e999999 never becomes an int.
    if amount > Decimal(MAX_MINOR_UNITS).scaleb(-digits):
        raise ValidationError(f"{field}: at most {to_major(MAX_MINOR_UNITS, code)}")
    minor = amount.scaleb(digits)
    if minor != minor.to_integral_value():
        if not digits:
            raise ValidationError(f"{field}: {code} has no minor units; enter a whole amount")
        raise ValidationError(f"{field}: enter a positive amount with at most {digits} decimals")
    return int(minor)
