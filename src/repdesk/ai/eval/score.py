"""Scoring for evaluation v2: facts, not exact text.

A reply is normalised before it is compared (case, quotes and dashes, markdown emphasis,
times written "12pm", "12 pm", "12:00 pm" or "12:00PM" all become "12pm"); amounts are read
whichever way they are written (₦18,500, N18500, NGN 18,500.00, #18,500, 18,500 naira, ₦18.5k)
and compared as integer minor units. Everything here is independent of the engine's own
grounding checker, so the evaluation does not inherit its blind spots.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from decimal import Decimal, InvalidOperation

_CUR = r"(?:₦|#|NGN|\bN(?=\s?\d))"
_NUM = r"\d{1,3}(?:,\d{3})+(?:\.\d{1,2})?|\d+(?:\.\d{1,2})?"
_PREFIX = re.compile(rf"{_CUR}\s?({_NUM})(?:\s?([kK])(?![a-zA-Z]))?")
_SUFFIX = re.compile(rf"({_NUM})(?:\s?([kK]))?\s?(?:naira|ngn)\b", re.I)
_BARE = re.compile(r"(?<![\w.:,+#₦/-])(\d{1,3}(?:,\d{3})+|\d{3,7})(?:\.(\d{2}))?(?![\w:%/-]|,\d)")
_TIME = re.compile(r"\b(\d{1,2})(?:[:.](\d{2}))?\s*([ap])\.?\s?m\b\.?", re.I)
_SPACES = re.compile(r"\s+")

HANDOFF_PHRASES = re.compile(
    r"check with (?:the|our) team|passing (?:you|your message) to|"
    r"(?:member|someone) (?:of|from) (?:our|the) team|someone will (?:reply|get back|contact)|"
    r"get back to you|a (?:real )?person (?:will|from)|human agent|"
    r"make i check with|we go get back to you",
    re.I,
)


def _minor(raw: str, k: str | None = None) -> int | None:
    try:
        value = Decimal(raw.replace(",", ""))
    except InvalidOperation:
        return None
    if k:
        value *= 1000
    return int(value * 100)


def _time(m: re.Match[str]) -> str:
    hour, minute, half = int(m.group(1)), m.group(2), m.group(3).lower()
    if minute and minute != "00":
        return f"{hour}:{minute}{half}m"
    return f"{hour}{half}m"


def normalise(text: str) -> str:
    """Lower case, plain quotes and dashes, no markdown emphasis, one way to write a time."""
    t = text.replace("\u2019", "'").replace("\u2018", "'").replace("\u00a0", " ")
    t = re.sub(r"[\u2010-\u2015\u2212]", "-", t)
    t = t.replace("*", "").replace("_", " ")
    t = _TIME.sub(_time, t)
    return _SPACES.sub(" ", t).strip().lower()


def money_amounts(text: str) -> list[int]:
    """Amounts written as money (a currency sign or word), in minor units."""
    out: list[int] = []
    taken: list[tuple[int, int]] = []
    for rx in (_PREFIX, _SUFFIX):
        for m in rx.finditer(text):
            if any(m.start() < b and m.end() > a for a, b in taken):
                continue
            value = _minor(m.group(1), m.group(2))
            if value is not None:
                out.append(value)
                taken.append(m.span())
    return out


def bare_amounts(text: str) -> list[int]:
    """Numbers that may be an amount typed without a currency ("Lekki - 3500", "18,500"),
    in minor units. Times, phone numbers, percentages and parts of words are not read."""
    out = []
    for m in _BARE.finditer(text):
        value = _minor(m.group(1) + (f".{m.group(2)}" if m.group(2) else ""))
        if value is not None:
            out.append(value)
    return out


def all_amounts(text: str) -> set[int]:
    return set(money_amounts(text)) | set(bare_amounts(text))


def quantities(text: str) -> set[int]:
    """Small whole numbers a customer says (2 to 100): possible quantities."""
    out = set()
    for m in re.finditer(r"(?<![\w.,:+#₦])(\d{1,3})(?![\d,.:%])", text):
        n = int(m.group(1))
        if 2 <= n <= 100:
            out.add(n)
    return out


def has_amount(reply: str, minor: int) -> bool:
    return minor in all_amounts(reply)


def stated_amounts(reply: str) -> list[int]:
    """The amounts a reply states as money, or as a grouped number ("18,500"): what the
    invented-amount count checks."""
    grouped = [
        v
        for m in re.finditer(r"(?<![\w.,₦#])\d{1,3}(?:,\d{3})+(?![\d,])", reply)
        if (v := _minor(m.group(0))) is not None
    ]
    money = money_amounts(reply)
    return money + [g for g in grouped if g not in money]


def is_handoff(replies: Iterable[str], actions: Iterable[dict[str, object]]) -> bool:
    """Handed to a person: an ``escalate`` action, or a reply that says so."""
    if any(a.get("type") == "escalate" for a in actions):
        return True
    return any(HANDOFF_PHRASES.search(r) for r in replies)


_PHONE_LIKE = re.compile(r"\+?\d[\d\s().-]{6,}\d")


def contains(reply: str, needle: str) -> bool:
    """``needle`` is in ``reply`` after normalising both; a phone number matches however it
    is spaced or prefixed (0809 222 3344, 08092223344, +234 809 222 3344)."""
    if _PHONE_LIKE.fullmatch(needle.strip()):
        return any(same_phone(m.group(0), needle) for m in _PHONE_LIKE.finditer(reply))
    want = normalise(needle)
    if not want:
        return False
    # Whole words ("pos" is not in "possible", "50" not in "1,500"); a plural is the same fact.
    start = r"(?<![a-z0-9])" if want[0].isalnum() else ""
    end = r"(?:s|es)?(?![a-z0-9])" if want[-1].isalnum() else ""
    return re.search(start + re.escape(want) + end, normalise(reply)) is not None


def digits(text: str | None) -> str:
    return re.sub(r"\D", "", text or "")


def same_phone(got: str | None, want: str) -> bool:
    """0803 123 4567, +234 803 123 4567 and 2348031234567 are the same number."""
    g, w = digits(got), digits(want)
    return len(g) >= 10 and len(w) >= 10 and g[-10:] == w[-10:]


def _words(text: str | None) -> str:
    return " ".join(re.findall(r"[a-z0-9]+", (text or "").lower()))


def same_name(got: str | None, want: str) -> bool:
    return _words(got) == _words(want)


def address_kept(got: str | None, want: str) -> bool:
    """The whole address the customer gave is in the stored one (punctuation aside)."""
    g, w = _words(got), _words(want)
    return bool(w) and w in g
