"""Grounding checks: every amount, fee, date and phone number in a reply must come from the
business's data; prompt-injection attempts are recognised before any engine runs.

The checks are pure functions so that both engines, the playground and the evaluation use the
same ones. A reply that fails is never sent (``service`` replaces it).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from repdesk.kit.money import minor_digits

_CUR = r"(?:₦|#|\$|£|€|GH₵|KSh|NGN|USD|GBP|EUR|\bN(?=\s?\d))"
_NUM = r"\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?"
_MONEY_PREFIX = re.compile(rf"{_CUR}\s?({_NUM})\s?([kKmM](?![a-zA-Z]))?")
_MONEY_SUFFIX = re.compile(
    rf"({_NUM})\s?([kKmM](?![a-zA-Z]))?\s?(?:naira|dollars?|pounds?|ngn|usd|bucks)\b", re.I
)
_PHONE = re.compile(r"(?<![\w])\+?\d[\d \t().-]{6,}\d(?![\w])")
_NUMBER = re.compile(rf"(?<![\w.])({_NUM})(st|nd|rd|th)?(?![\d])")


@dataclass(frozen=True)
class Figure:
    kind: str  # amount | phone | number
    raw: str
    value: str  # normalised: decimal string for amounts/numbers, digits for phones


def _norm_number(raw: str, suffix: str | None = None) -> str | None:
    try:
        value = Decimal(raw.replace(",", ""))
    except InvalidOperation:
        return None
    if suffix and suffix.lower() == "k":
        value *= 1000
    elif suffix and suffix.lower() == "m":
        value *= 1_000_000
    value = value.normalize()
    return format(value, "f")


def _phone_key(digits: str) -> str:
    return digits[-10:]


def figures(text: str) -> list[Figure]:
    """The amounts, phone numbers and other significant numbers in ``text``."""
    found: list[Figure] = []
    taken: list[tuple[int, int]] = []

    def free(span: tuple[int, int]) -> bool:
        return all(span[1] <= a or span[0] >= b for a, b in taken)

    for m in _PHONE.finditer(text):
        digits = re.sub(r"\D", "", m.group(0))
        if len(digits) >= 7 and not re.search(r"[,.]\d{3}\b", m.group(0).strip()):
            found.append(Figure("phone", m.group(0).strip(), _phone_key(digits)))
            taken.append(m.span())
    for rx in (_MONEY_PREFIX, _MONEY_SUFFIX):
        for m in rx.finditer(text):
            if not free(m.span()):
                continue
            value = _norm_number(m.group(1), m.group(2))
            if value is not None:
                found.append(Figure("amount", m.group(0).strip(), value))
                taken.append(m.span())
    for m in _NUMBER.finditer(text):
        if not free(m.span()):
            continue
        value = _norm_number(m.group(1))
        if value is None:
            continue
        # Small bare numbers are quantities and counts; ordinals (dates) always count.
        if m.group(2) or Decimal(value) >= 10:
            found.append(Figure("number", m.group(0).strip(), value))
            taken.append(m.span())
    return found


def _major(minor: int, currency: str) -> str:
    """An amount in minor units as the plain number a reply states: ``2500050`` NGN ->
    ``25000.5``, ``2500000`` -> ``25000``, ``1250`` JPY (no minor unit) -> ``1250``."""
    return format(Decimal(minor).scaleb(-minor_digits(currency)).normalize(), "f")


@dataclass
class Evidence:
    """What a reply may state: numbers from the business's texts and computed totals."""

    numbers: set[str]
    phones: set[str]

    @classmethod
    def build(
        cls,
        texts: Iterable[str],
        *,
        amounts_minor: Iterable[int] = (),
        customer_texts: Iterable[str] = (),
        phones: Iterable[str] = (),
        currency: str = "NGN",
    ) -> Evidence:
        numbers: set[str] = set()
        phone_set: set[str] = set()
        for text in texts:
            for f in figures(text):
                if f.kind == "phone":
                    phone_set.add(f.value)
                    # "0803 123 4567" may be quoted without its leading zero and vice versa
                    numbers.add(f.value)
                else:
                    numbers.add(f.value)
            for m in re.finditer(r"\d+(?:[.,]\d+)*", text):
                v = _norm_number(m.group(0))
                if v is not None:
                    numbers.add(v)
        for minor in amounts_minor:
            numbers.add(_major(minor, currency))
        for text in customer_texts:
            # A customer may give their own phone number, address and quantities; never an
            # amount the business has to honour.
            for f in figures(text):
                if f.kind == "phone":
                    phone_set.add(f.value)
                elif f.kind == "number" and Decimal(f.value) < 1000:
                    numbers.add(f.value)
        for p in phones:
            digits = re.sub(r"\D", "", p)
            if digits:
                phone_set.add(_phone_key(digits))
        return cls(numbers, phone_set)


def unsupported(reply: str, evidence: Evidence) -> list[Figure]:
    """The figures in ``reply`` that no source supports (empty list: the reply passes)."""
    bad: list[Figure] = []
    for f in figures(reply):
        if f.kind == "phone":
            if f.value not in evidence.phones:
                bad.append(f)
        elif f.value not in evidence.numbers:
            bad.append(f)
    return bad


# -- prompt injection --------------------------------------------------------------------------

_INJECTION = [
    r"\b(system|hidden|initial|original)\s+(prompt|instructions?|message)",
    r"\bignore\s+(all\s+|any\s+|the\s+|your\s+)?(previous|prior|above|earlier)?\s*(instructions?|rules|prompts?)",
    r"\bdisregard\s+(all|your|the|previous)",
    r"\b(api|secret|access)[\s_-]?(key|token)s?\b",
    r"\bpassword(s)?\b",
    r"\b(other|another|all|previous)\s+(customers?|clients?|users?)('s|s')?\s+"
    r"(data|details|orders?|numbers?|phone|addresses?|info|information|messages?|chats?)",
    r"\b(list|show|give|send)\s+(me\s+)?(the\s+)?(list\s+of\s+)?(all\s+)?(your\s+)?"
    r"(customers|contacts|client list)",
    r"\b(other|another|previous|last)\s+customer('s|s'|s)?\b",
    r"\byou are now\b|\bact as (an? )?(admin|developer|dan)\b|\bjailbreak\b|\bdeveloper mode\b",
    r"\breveal\s+(your|the)\s+(prompt|instructions|rules|config)",
    r"\bwhat\s+(are|were)\s+your\s+(instructions|rules)\b",
    r"\bprint\s+(your|the)\s+(prompt|instructions|config|env)",
]
_INJECTION_RX = re.compile("|".join(f"(?:{p})" for p in _INJECTION), re.I)


def is_injection(text: str) -> bool:
    return bool(_INJECTION_RX.search(text))


# -- amounts attached to the wrong product -----------------------------------------------------

_SEGMENT = re.compile(r"(?<=[.!?])\s+|\n+")


def misattributed(
    reply: str,
    products: list[Any],
    *,
    fees: Iterable[int] = (),
    max_quantity: int = 50,
    quoted: Iterable[str] = (),
    currency: str = "NGN",
) -> list[Figure]:
    """Amounts stated next to exactly one product that are not that product's price (or a
    multiple of it, or one plus a delivery fee): "the maxi dress is ₦15,000" when ₦15,000 is
    another product's price passes the plain evidence check but fails this one."""
    from repdesk.ai.engine.catalog_match import catalog_index

    if not products:
        return []
    index = catalog_index(products)
    fee_list = [0, *fees]
    # A line quoted word for word from the business's own data ("iPhone 12 screen
    # replacement: N65,000" from its repair price list) says what the business said.
    sources = [re.sub(r"\s+", " ", q).lower() for q in quoted]
    bad: list[Figure] = []
    for segment in _SEGMENT.split(reply):
        amounts = [f for f in figures(segment) if f.kind == "amount"]
        if not amounts:
            continue
        mentions = index.match(segment)
        if len(mentions) != 1:
            continue
        flat = re.sub(r"\s+", " ", segment).strip().lower()
        if len(flat) >= 12 and any(flat in src for src in sources):
            continue
        p = mentions[0].product
        unit_prices = {p.price, *(p.variant_price(v) for v in p.variants)}
        allowed: set[str] = set()
        for unit in unit_prices:
            for q in range(1, max_quantity + 1):
                for fee in fee_list:
                    allowed.add(_major(unit * q + fee, currency))
        allowed |= {_major(fee, currency) for fee in fee_list if fee}
        bad += [f for f in amounts if f.value not in allowed]
    return bad
