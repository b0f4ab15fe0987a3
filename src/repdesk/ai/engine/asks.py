"""What shape a customer's message has (a discount demand, "do you sell X?", a fee question, a
question at all): small pure checks the built-in engine's decisions rest on."""

from __future__ import annotations

import re

from repdesk.ai.engine import intents as intent_rx
from repdesk.ai.engine.text import GENERIC, content_terms, stem

VARIANT_WORDS = {"size", "colour", "color", "small", "medium", "large", "extra", "one", "in"}
CATALOG_WORDS = {
    "send",
    "product",
    "item",
    "catalog",
    "catalogue",
    "collection",
    "list",
    "menu",
    "sell",
    "stock",
    "thing",
    "goods",
    "offer",
    "range",
    "new",
    "arrival",
    "available",
}
GREETING_WORDS = re.compile(
    r"^\s*(hi+|hello+|hey+|good\s+(morning|afternoon|evening|day)|morning|evening|how\s+far|"
    r"how\s+(you|una)\s+dey|how\s+body|greetings|hiya|bawo|kedu|sannu)[\s,.!]*",
    re.I,
)


DISCOUNT = re.compile(
    r"\b\d{1,2}\s*%\s*(off|discount)|\b(discount|reduce|reduction|slash|last\s+price|cheaper|"
    r"promo|bargain)\b",
    re.I,
)
FEE_ASK = re.compile(r"\b(how\s+much|cost|charge|fee|price|pay|collect|rate)\b", re.I)
DELIVERY_ASK = re.compile(
    r"\b(deliver|delivery|bring|send|ship|rider|dispatch|get\s+it\s+to|come\s+to)\b", re.I
)
DISCOUNT_FACT = re.compile(
    r"\b(discount|fixed|bargain|bargaining|negotiable|promo|off\b|reduction|price\s+is\s+final)",
    re.I,
)
_SOLD_Q = re.compile(
    r"\b(do|does|can)\s+(you|u|una)\s+(guys\s+|people\s+)?(sell|have|stock|carry|make|bake|do|offer)\b|"
    r"\byou\s+(sell|have|get)\b|\bany\s+\w+\s+(available|in\s+stock)\b",
    re.I,
)


_SERVICE_ASK = frozenset(
    {
        "repair",
        "fix",
        "replace",
        "replacement",
        "change",
        "screen",
        "battery",
        "crack",
        "cracked",
        "charging",
        "water",
        "glass",
        "port",
        "sort",
        "spoil",
        "deliver",
        "delivery",
        "send",
        "bring",
        "rider",
        "ship",
        "alter",
        "alteration",
        "sew",
        "sewing",
        "tailor",
        "install",
        "wash",
        "clean",
        "fee",
        "charge",
    }
)


def service_asked(extra: list[str]) -> bool:
    return bool(set(extra) & {stem(w) for w in _SERVICE_ASK})


def asks_if_sold(text: str) -> bool:
    return bool(_SOLD_Q.search(text))


def has_question_words(text: str) -> bool:
    return bool(
        re.search(
            r"\b(how|what|when|where|which|price|cost|much|do you|can i|is there)\b", text, re.I
        )
    )


def has_content(text: str) -> bool:
    stripped = intent_rx.THANKS.sub("", text)
    return bool(content_terms(stripped))


def is_info_question(text: str) -> bool:
    low = text.lower().strip()
    return bool(
        re.match(
            r"^(what|when|where|which|who|why|how|do|does|can|could|is|are|will|would|wetin|shey|una)\b",
            low,
        )
    ) or low.endswith("?")


_YES_NO = re.compile(
    r"(?:^|[.,!?;]\s*)(?:can|could|do|does|is|are|will|would|have|has)\s+"
    r"(?:i|you|we|u|una|there|it|they|your|one)\b",
    re.I,
)
# Words that say nothing about the thing asked for ("can I come and get it today?").
_PLAIN = frozenset(
    stem(w)
    for w in [
        "come",
        "coming",
        "bring",
        "make",
        "take",
        "want",
        "need",
        "like",
        "still",
        "also",
        "really",
        "please",
        "today",
        "tomorrow",
        "tonight",
        "myself",
        "yourself",
        "something",
        "anything",
        "everything",
        "thing",
        "things",
        "people",
        "guys",
        "able",
        "possible",
        "actually",
        "just",
        "even",
        "kind",
        "sort",
        "else",
        "other",
        "more",
        "some",
        "know",
        "tell",
        "help",
        "give",
        "send",
        "look",
        "find",
        "work",
        "time",
        "place",
        "here",
        "there",
        "going",
        "sure",
        "good",
        "nice",
        "okay",
        "week",
        "weekend",
        "month",
        "year",
        "morning",
        "evening",
        "night",
        "day",
        "days",
        "hour",
        "hours",
        "minute",
        "minutes",
    ]
)


def is_yes_no(text: str) -> bool:
    """ "Can I …?", "Do you …?", "Is there …?": a question whose answer is yes or no."""
    return bool(_YES_NO.search(text))


def subject_terms(text: str) -> list[str]:
    """The words of a question that name what it is about (stemmed, four letters or more,
    not the question's own machinery or filler)."""
    return [
        t
        for t in content_terms(text)
        if len(t) >= 4 and t not in GENERIC and t not in _PLAIN and t not in CATALOG_WORDS
    ]
