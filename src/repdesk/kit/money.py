"""The bound on every amount of money a client can send (ADR 5).

Money is stored as 64-bit integers of minor units (kobo, cents). Anything above
``MAX_MINOR_UNITS`` (10^15 minor units: ₦10 trillion, $10 trillion) is refused as a 400
``VALIDATION_ERROR``, so no sum of a few such amounts can leave the 64-bit range.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from repdesk.kit.errors import ValidationError

MAX_MINOR_UNITS = 10**15

# A request field holding an amount: an integer 0 … MAX_MINOR_UNITS (JSON numbers only).
MinorUnits = Annotated[int, Field(ge=0, le=MAX_MINOR_UNITS, strict=True)]


def check_minor_units(value: int, field: str) -> int:
    """``value`` if it is an amount we store, else a ValidationError naming ``field``."""
    if value < 0 or value > MAX_MINOR_UNITS:
        raise ValidationError(
            f"{field}: an amount from 0 to {MAX_MINOR_UNITS:,} (integer minor units)"
        )
    return value
