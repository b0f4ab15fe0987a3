"""Knowledge that contradicts itself: two sources stating different prices, fees or hours for
the same thing ("Delivery in Lagos is ₦2,000" in one item, "₦3,500" in another).

A pure function over sentences: each sentence with an amount or a time becomes a fact whose
subject is its remaining words; two facts from different sources with the same subject
(shared words, or sentence embeddings when available) and disjoint values are flagged.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from repdesk.knowledge.text import tokenize

MAX_FACTS = 1500

_AMOUNT = re.compile(
    r"(?:(?:₦|\$|£|€|\bngn\s?|\busd\s?|\bn(?=\d))\s?(\d[\d,]*(?:\.\d+)?)\s?(k\b)?)"
    r"|(?:\b(\d[\d,]*(?:\.\d+)?)\s?(k)?\s?(?:naira|dollars?|ngn|usd|pounds?)\b)",
    re.I,
)
_TIME = re.compile(r"\b(\d{1,2})(?::(\d{2}))?\s?(am|pm|a\.m\.|p\.m\.)", re.I)
_SENTENCE = re.compile(r"(?<=[.!?])\s+|\n+")
_CLAUSE = re.compile(r"[;,]\s+|\s(?:and|but|while|whereas)\s", re.I)


@dataclass(frozen=True)
class Statement:
    source_id: str
    source_kind: str  # knowledge | faq | policy
    title: str
    text: str


@dataclass(frozen=True)
class Fact:
    statement: Statement
    sentence: str
    kind: str  # price | hours
    values: frozenset[str]
    subject: frozenset[str]


def _amounts(sentence: str) -> set[str]:
    out = set()
    for m in _AMOUNT.finditer(sentence):
        number, kilo = (m.group(1), m.group(2)) if m.group(1) else (m.group(3), m.group(4))
        value = float(number.replace(",", ""))
        if kilo:
            value *= 1000
        out.add(f"{value:g}")
    return out


def _times(sentence: str) -> set[str]:
    out = set()
    for m in _TIME.finditer(sentence):
        hour = int(m.group(1)) % 12 + (12 if m.group(3).lower().startswith("p") else 0)
        out.add(f"{hour:02d}:{m.group(2) or '00'}")
    return out


_NOISE = frozenset(
    {
        "k",
        "am",
        "pm",
        "naira",
        "ngn",
        "usd",
        "dollar",
        "cost",
        "price",
        "fee",
        "charge",
        "only",
        "within",
        "inside",
        "just",
        "now",
        "currently",
        "shop",
        "store",
        "ours",
        "per",
        "each",
    }
)


def _subject(text: str) -> frozenset[str]:
    return frozenset(
        t
        for t in tokenize(_TIME.sub(" ", _AMOUNT.sub(" ", text)))
        if not any(ch.isdigit() for ch in t) and t not in _NOISE
    )


def facts_of(statements: Sequence[Statement]) -> list[Fact]:
    """One fact per clause holding an amount or a time; its subject is the clause's words
    (the sentence's when the clause alone says too little, as in "and costs ₦500")."""
    facts: list[Fact] = []
    for st in statements:
        for sentence in _SENTENCE.split(st.text):
            sentence = sentence.strip()
            if not sentence:
                continue
            whole = _subject(sentence)
            for clause in _CLAUSE.split(sentence):
                subject = _subject(clause)
                if len(subject) < 2:
                    subject = whole
                if len(subject) < 2:
                    continue
                for kind, values in (("price", _amounts(clause)), ("hours", _times(clause))):
                    if values:
                        facts.append(Fact(st, sentence, kind, frozenset(values), subject))
                if len(facts) >= MAX_FACTS:
                    return facts
    return facts


def find(
    statements: Sequence[Statement],
    *,
    embed: Callable[[list[str]], npt.NDArray[np.float32]] | None = None,
    jaccard_min: float = 0.75,
    cosine_min: float = 0.9,
) -> list[dict[str, object]]:
    """Pairs of facts that disagree, as JSON-ready dicts (camelCase keys)."""
    facts = facts_of(statements)
    if len(facts) < 2:
        return []
    sims: npt.NDArray[np.float32] | None = None
    if embed is not None:
        # Embed the sentence without its numbers: the subject is what must match.
        vectors = embed([" ".join(sorted(f.subject)) for f in facts])
        sims = vectors @ vectors.T
    found: list[dict[str, object]] = []
    seen: set[tuple[str, str, str]] = set()
    for i, a in enumerate(facts):
        for j in range(i + 1, len(facts)):
            b = facts[j]
            if a.kind != b.kind or a.statement.source_id == b.statement.source_id:
                continue
            if a.values & b.values:
                continue  # they share a value: a range or a list, not a disagreement
            shared = a.subject & b.subject
            jaccard = len(shared) / len(a.subject | b.subject)
            same = jaccard >= jaccard_min and len(shared) >= 2
            if not same and sims is not None:
                same = float(sims[i, j]) >= cosine_min and jaccard >= 0.5
            if not same:
                continue
            first, second = sorted((a.statement.source_id, b.statement.source_id))
            key = (a.kind, first, second)
            if key in seen:
                continue
            seen.add(key)
            found.append(
                {
                    "kind": a.kind,
                    "items": [_side(a), _side(b)],
                    "message": (
                        f"Two items give different {_WHAT[a.kind]} for what looks like the same"
                        " thing."
                    ),
                }
            )
    return found


_WHAT = {"price": "prices or fees", "hours": "hours"}


def _side(f: Fact) -> dict[str, object]:
    return {
        "sourceId": f.statement.source_id,
        "sourceKind": f.statement.source_kind,
        "title": f.statement.title,
        "text": f.sentence,
        "values": sorted(f.values),
    }
