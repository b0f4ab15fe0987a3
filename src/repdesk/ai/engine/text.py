"""Small text helpers for matching customer words against the business's data."""

from __future__ import annotations

import re
from functools import lru_cache

STOP = frozenset(
    [
        "a",
        "an",
        "the",
        "and",
        "or",
        "but",
        "if",
        "of",
        "to",
        "in",
        "on",
        "at",
        "by",
        "for",
        "with",
        "from",
        "about",
        "as",
        "into",
        "is",
        "are",
        "was",
        "were",
        "be",
        "been",
        "being",
        "am",
        "do",
        "does",
        "did",
        "doing",
        "have",
        "has",
        "had",
        "having",
        "i",
        "me",
        "my",
        "mine",
        "we",
        "our",
        "you",
        "your",
        "yours",
        "he",
        "she",
        "it",
        "its",
        "they",
        "them",
        "their",
        "this",
        "that",
        "these",
        "those",
        "there",
        "here",
        "what",
        "which",
        "who",
        "whom",
        "when",
        "where",
        "why",
        "how",
        "can",
        "could",
        "will",
        "would",
        "shall",
        "should",
        "may",
        "might",
        "must",
        "not",
        "no",
        "yes",
        "so",
        "than",
        "too",
        "very",
        "just",
        "also",
        "please",
        "pls",
        "abeg",
        "kindly",
        "hi",
        "hello",
        "hey",
        "sir",
        "ma",
        "madam",
        "dear",
        "una",
        "wetin",
        "dey",
        "na",
        "wan",
        "go",
        "get",
        "e",
        "o",
        "sha",
        "any",
        "some",
        "all",
        "much",
        "many",
        "more",
        "most",
        "other",
        "such",
        "only",
        "own",
        "same",
        "any",
        "anything",
        "something",
        "thing",
        "things",
        "tell",
        "know",
        "want",
        "need",
        "like",
        "would",
        "i'm",
        "im",
        "i'd",
        "you're",
        "it's",
        "what's",
        "let",
        "us",
        "ok",
        "okay",
        "am",
        "customer",
        "customers",
        "ask",
        "question",
        "one",
        "still",
        "again",
        "now",
        "then",
        "today",
        "doesn't",
        "don't",
        "isn't",
        "can't",
        "won't",
        "didn't",
        "aren't",
        "wasn't",
        "myself",
        "up",
        "out",
        "after",
        "before",
        "policy",
        "policies",
        "within",
    ]
)
# Words that say nothing about *which* fact is wanted.
GENERIC = frozenset(
    [
        "sell",
        "selling",
        "sold",
        "buy",
        "buying",
        "have",
        "has",
        "offer",
        "offering",
        "provide",
        "stock",
        "available",
        "availability",
        "price",
        "prices",
        "cost",
        "costs",
        "much",
        "how",
        "rate",
        "shop",
        "store",
        "business",
    ]
)
SYNONYMS: dict[str, tuple[str, ...]] = {
    "deliver": ("delivery", "shipping", "ship", "dispatch", "send"),
    "delivery": ("deliver", "shipping", "ship", "dispatch"),
    "ship": ("shipping", "delivery", "deliver"),
    "shipping": ("delivery", "deliver", "ship"),
    "dispatch": ("delivery", "shipping"),
    "return": ("returns", "refund", "exchange"),
    "refund": ("return", "returns", "money", "back"),
    "exchange": ("return", "returns", "swap"),
    "open": ("hours", "opening", "time", "close", "closing"),
    "close": ("hours", "closing", "open"),
    "hours": ("open", "opening", "time", "closing"),
    "time": ("hours", "open"),
    "pay": ("payment", "transfer", "card", "cash"),
    "payment": ("pay", "transfer", "card"),
    "transfer": ("payment", "bank", "account"),
    "located": ("location", "address", "shop", "where"),
    "location": ("address", "located", "shop"),
    "address": ("location", "located"),
    "long": ("days", "take"),
    "fee": ("charge", "cost", "price"),
    "charge": ("fee", "cost"),
    "original": ("authentic", "genuine", "fake"),
    "authentic": ("original", "genuine"),
    "genuine": ("original", "authentic"),
    "fake": ("original", "authentic"),
    "size": ("sizes", "fit", "measurement"),
    "wholesale": ("bulk", "resell"),
    "bulk": ("wholesale",),
    "sunday": ("sundays", "weekend", "sun"),
    "saturday": ("saturdays", "weekend", "sat"),
    "sun": ("sunday",),
    "sat": ("saturday",),
    "mon": ("monday",),
    "fri": ("friday",),
    "weekend": ("saturday", "sunday"),
    "whatsapp": ("phone", "call", "number"),
    "call": ("phone", "number", "contact"),
    "phone": ("call", "number", "contact"),
    "contact": ("phone", "call", "email"),
    "pick": ("pickup",),
    "morning": ("noon",),
    "sent": ("leave", "dispatch"),
}

_TOKEN = re.compile(r"[a-z0-9₦]+(?:'[a-z]+)?")


@lru_cache(maxsize=65536)
def stem(word: str) -> str:
    w = word.lower()
    if len(w) > 4 and w.endswith("ies"):
        return w[:-3] + "y"
    if len(w) > 4 and w.endswith(("ses", "xes", "ches", "shes", "zes")):
        return w[:-2]
    if len(w) > 3 and w.endswith("s") and not w.endswith("ss"):
        return w[:-1]
    if len(w) > 5 and w.endswith("ing"):
        return w[:-3]
    if len(w) > 4 and w.endswith("ed"):
        return w[:-2]
    return w


def tokens(text: str) -> list[str]:
    return _TOKEN.findall(text.lower())


def content_terms(text: str) -> list[str]:
    """The words of a question that say what it is about, stemmed."""
    out = []
    for t in tokens(text):
        if t in STOP or t.isdigit() or len(t) < 2:
            continue
        out.append(stem(t))
    return out


def expand(terms: list[str]) -> set[str]:
    out = set(terms)
    for t in terms:
        for s in SYNONYMS.get(t, ()):
            out.add(stem(s))
    return out


def term_set(text: str) -> set[str]:
    return {stem(t) for t in tokens(text)}
