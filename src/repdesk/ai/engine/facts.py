"""Which facts answer a question: by meaning (the embedding similarity retrieval measured, and
the question's topic by its nearest examples), helped by shared words and by what a fact
states (an address, a day's hours), against calibrated thresholds. A fact about something
else that shares the question's words (a repair price for a product price, another model, another
day) scores less or not at all.
"""

from __future__ import annotations

import re

from repdesk.ai.engine import intents as intent_rx
from repdesk.ai.engine import semantic
from repdesk.ai.engine.base import EngineContext, Fact
from repdesk.ai.engine.normalise import to_english
from repdesk.ai.engine.text import GENERIC, content_terms, expand, term_set

# Thresholds on the cosine similarity of the question (in plain English) to a fact, chosen on
# the evaluation's tune split (bench/ai.md).
CANDIDATES = 12
ANSWER_SIMILARITY = 0.6  # answers on its own
COVERAGE_WEIGHT = 0.15
FAQ_BONUS = 0.03
SIBLING_MARGIN = 0.05
NOT_SOLD_ALTERNATIVE = 0.3
TOPIC_SIMILARITY = 0.45  # the question is about a topic when this close to its examples
TOPIC_BONUS = 0.15  # a fact about the question's topic
STRONG_BONUS = 0.1  # ... that states it the way that topic is answered (a street address)
PRODUCT_SIMILARITY = 0.6
DAY_BONUS = 0.1  # an hours line for the day asked about (another day's line: minus)
TOPIC_QUERY_WEIGHT = 0.7  # a fact found by the topic's own query, not by the question
ANSWER_SCORE = 0.45  # similarity + bonuses an answer needs
SURE_SCORE = 0.6  # ... to answer "do you sell X?" with a fact rather than "we don't sell it"
OTHER_MODEL = 1.0  # a fact about another model name is no answer at all
MIN_COVERAGE = 0.66  # without embeddings: the share of the question's words a fact needs
# Words that make a fact about a service, not the thing itself ("screen replacement").
SERVICE_WORDS = frozenset(
    {
        "repair",
        "replacement",
        "replace",
        "fix",
        "fixing",
        "servicing",
        "service",
        "unlock",
        "flash",
        "flashing",
        "installation",
        "install",
        "rental",
        "rent",
        "hire",
        "training",
    }
)
# What a fact about each topic says (a fact may be about several).
TOPIC_EVIDENCE = {
    "hours": re.compile(
        r"\b(open|opening|close|closed|closing|hours|monday|tuesday|wednesday|thursday|friday|"
        r"saturday|sunday|weekdays?|weekends?|daily|holidays?)\b",
        re.I,
    ),
    "location": re.compile(
        r"\b(street|road|avenue|way|close|located|location|address|opposite|plaza|estate|"
        r"floor|behind|beside|junction|visit\s+us|find\s+us|branch|shop\s+is|office\s+is)\b",
        re.I,
    ),
    "contact": re.compile(
        r"\+?\d[\d \-]{7,}\d|@|\b(call|whatsapp|phone|email|instagram|dm)\b", re.I
    ),
    "price": re.compile(
        r"₦|\bN\d|\d[\d,]*\s*(naira|k)\b|\bfree\b|\b(price|prices|cost|costs|fee|fees|charge)\b",
        re.I,
    ),
    "payment": re.compile(
        r"\b(pay|paid|payment|transfer|bank|account|pos|cash|card|deposit|instal+ments?|"
        r"paystack|ussd|cheques?)\b",
        re.I,
    ),
    "delivery": re.compile(
        r"\b(deliver|delivery|deliveries|dispatch|ship|shipping|rider|waybill|same-day|"
        r"pickup|pick\s+up|zone|outside\s+lagos|within\s+lagos|arrive)\b",
        re.I,
    ),
    "returns": re.compile(
        r"\b(return|returns|returned|refund|refunds|exchange|exchanges|damaged|replace|"
        r"replacement|faulty|wrong)\b",
        re.I,
    ),
    "warranty": re.compile(
        r"\b(warranty|guarantee|guaranteed|genuine|original|authentic|fake|damaged|faulty)\b",
        re.I,
    ),
}
STRONG_EVIDENCE = {
    "location": re.compile(
        r"\b\d+[a-z]?,?\s+(?:[A-Z][\w'-]+\s+){1,4}(?:street|st|road|rd|avenue|ave|way|close|"
        r"crescent|drive|lane|boulevard|expressway)\b",
        re.I,
    ),
    "contact": re.compile(r"(?<!\d)(?:\+?234|0)[789][01]\d[\d \-]{7,9}\d"),
    "hours": re.compile(
        r"\b(mon|tue|wed|thu|fri|sat|sun)[a-z]*\b.*\d\s*(am|pm)|\d\s*(am|pm)\s*[-–to]+\s*\d", re.I
    ),
}
TOPIC_ALSO = {
    "delivery": ("price",),
    "hours": (),
    "returns": ("warranty",),
    "warranty": ("returns",),
}


def best_facts(
    text: str,
    facts: list[Fact],
    topics: list[tuple[str, float]] | None = None,
    *,
    min_coverage: float = MIN_COVERAGE,
) -> tuple[list[Fact], float]:
    """The facts that answer the question, best first ([] when none is close enough): by
    meaning (the embedding similarity retrieval measured), helped by shared words; a fact
    about something else that shares the question's words (a repair price for a product
    price, another model) is not an answer. Also the best score (0.0 when none)."""
    q = [t for t in content_terms(text) if t not in GENERIC] or content_terms(text)
    if not q or not facts:
        return [], 0.0
    wanted = expand(q)
    topic = top_topic(topics or [])
    asked = asked_topics(topics or [])
    scored: list[tuple[float, float, Fact]] = []
    for f in facts:
        have = term_set(f.title + " " + f.text)
        have |= expand(list(have))
        covered = sum(1 for t in q if t in have or any(s in have for s in expand([t])))
        coverage = covered / len(q)
        sem = f.metadata.get("semantic") if f.metadata else None
        if not isinstance(sem, (int, float)):
            # No embeddings: the words decide.
            bonus = 0.05 if f.kind in ("faq", "policy") else 0.0
            title = [t for t in content_terms(f.title) if t not in GENERIC]
            off_topic = sum(1 for t in title if t not in wanted) / len(title) if title else 0.0
            on_title = sum(1 for t in q if t in set(title)) / len(q)
            score = coverage * 0.7 + f.score * 0.3 + bonus - 0.15 * off_topic + 0.1 * on_title
            if coverage >= min_coverage and wanted:
                scored.append((score, score, f))
            continue
        sem = float(sem) - _mismatch(text, f, topic)
        bonus = FAQ_BONUS if f.kind in ("faq", "policy") else 0.0
        if asked & _topics_of(f):
            bonus += TOPIC_BONUS
            if any(STRONG_EVIDENCE[t].search(f.text) for t in asked if t in STRONG_EVIDENCE):
                bonus += STRONG_BONUS
        if f.kind == "product" and sem < PRODUCT_SIMILARITY:
            continue  # products are found by name (catalog_match), or by a close meaning
        total = sem + COVERAGE_WEIGHT * coverage + bonus + _day_fit(text, f)
        if total >= ANSWER_SCORE or sem >= ANSWER_SIMILARITY:
            scored.append((total, sem, f))
    scored.sort(key=lambda t: -t[0])
    if not scored:
        return [], 0.0
    best_score, _, best = scored[0]
    out = [best]
    if best.kind == "knowledge":
        # Lines of the same list or table that answer as well ("opening hours" -> every day)
        for score, _, f in scored[1:]:
            if (
                f.kind == "knowledge"
                and f.source_id == best.source_id
                and (f.metadata or {}).get("context") == (best.metadata or {}).get("context")
                and best_score - score <= SIBLING_MARGIN
                and len(out) < 4
            ):
                out.append(f)
    return out, best_score


async def topic_facts(
    ctx: EngineContext, topics: list[tuple[str, float]], have: list[Fact]
) -> list[Fact]:
    """``have`` plus the facts the asked topic's own query finds, each with the better of
    its similarity to the question and (discounted) to the topic query."""
    merged: dict[str, Fact] = {f.id: f for f in have}
    for topic in asked_topics(topics):
        query = TOPIC_QUERIES.get(topic)
        if query is None:
            continue
        for f in await ctx.source.search(query, k=4, kinds=("faq", "policy", "knowledge")):
            meta = dict(f.metadata or {})
            sem = meta.get("semantic")
            if not isinstance(sem, (int, float)):
                merged.setdefault(f.id, f)
                continue
            sem = float(sem) * TOPIC_QUERY_WEIGHT
            old = merged.get(f.id)
            was = (old.metadata or {}).get("semantic") if old else None
            if old is None or (isinstance(was, (int, float)) and float(was) < sem):
                meta["semantic"] = sem
                merged[f.id] = Fact(f.kind, f.id, f.title, f.text, f.score, f.source_id, meta)
    return list(merged.values())


async def relevant_facts(ctx: EngineContext, *, k: int = 6) -> list[Fact]:
    """What the built-in engine would consider for this message, those it would answer with
    first: the grounding the LLM engine gets (the same understanding of the question)."""
    english = to_english(ctx.text)
    topics = await question_topics(english)
    facts = await ctx.source.search(english, k=CANDIDATES)
    facts = await topic_facts(ctx, topics, facts)
    best, _score = best_facts(english, facts, topics)
    chosen = {f.id for f in best}
    rest = [f for f in facts if f.id not in chosen]
    return [*best, *rest][:k]


async def question_topics(english: str) -> list[tuple[str, float]]:
    if not semantic.enabled():
        return []
    vector = await semantic.embed_query(english)
    return await intent_rx.classify(vector)


def top_topic(topics: list[tuple[str, float]]) -> str | None:
    if topics and topics[0][1] >= TOPIC_SIMILARITY:
        return topics[0][0]
    return None


def asked_topics(topics: list[tuple[str, float]]) -> set[str]:
    """The topics the question is about: the nearest, and a second one nearly as near."""
    if not topics or topics[0][1] < TOPIC_SIMILARITY:
        return set()
    out = {topics[0][0]}
    if len(topics) > 1 and topics[1][1] >= max(TOPIC_SIMILARITY, topics[0][1] - 0.05):
        out.add(topics[1][0])
    return out


_MODEL = re.compile(r"\b([a-z]{0,12}\d+[a-z0-9]*)\b", re.I)
_NOT_MODEL = re.compile(
    r"\d+\s*%|\d+\s*(?:of\s+them|pieces|pcs|units|packs?|boxes|x\b)|[₦#$]\s?\d[\d,]*|"
    r"\d[\d,]*\s*(?:naira|k\b)|\b\d{1,2}\s*(?:am|pm)\b|\b\d+\s*(?:days?|hours?|weeks?|mins?)\b",
    re.I,
)


def model_tokens(text: str) -> set[str]:
    """Model names and numbers in a text ("A54", "iPhone 13" -> "13", "S23"): not quantities,
    percentages, amounts or times."""
    cleaned = _NOT_MODEL.sub(" ", text)
    return {m.lower() for m in _MODEL.findall(cleaned) if not re.fullmatch(r"\d{5,}", m)}


def _mismatch(question: str, fact: Fact, topic: str | None) -> float:
    """How much a fact is about something other than what was asked."""
    penalty = 0.0
    q_terms = term_set(question)
    f_terms = term_set(fact.title + " " + fact.text)
    if topic == "price" and (SERVICE_WORDS & f_terms) and not (SERVICE_WORDS & q_terms):
        penalty += 0.2  # a repair price is not the product's price
    q_models = model_tokens(question)
    if q_models:
        f_models = model_tokens(fact.title + " " + fact.text)
        if f_models and not (q_models & f_models):
            penalty += 0.2
            named = {m for m in q_models if _NAMED_MODEL.search(m)}
            if named and any(_NAMED_MODEL.search(m) for m in f_models):
                penalty += OTHER_MODEL  # "S23" asked, a line about the "A14": another product
    return penalty


_NAMED_MODEL = re.compile(r"[a-z]\d|\d[a-z]")  # letters and digits together: "s23", "a14"


_DAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_DAY = r"(mon|tue|wed|thu|fri|sat|sun)[a-z]*"
_DAY_RANGE = re.compile(rf"\b{_DAY}\s*(?:-|–|to|through|till)\s*{_DAY}\b", re.I)
_DAY_ONE = re.compile(rf"\b{_DAY}\b", re.I)


def days_named(text: str) -> set[str]:
    """The days of the week a text names, ranges included ("Mon - Sat", "weekdays")."""
    out: set[str] = set()
    low = text.lower()
    for m in _DAY_RANGE.finditer(low):
        a = next(i for i, d in enumerate(_DAYS) if d.startswith(m.group(1)))
        b = next(i for i, d in enumerate(_DAYS) if d.startswith(m.group(2)))
        out |= set(_DAYS[a : b + 1]) if a <= b else set(_DAYS[a:] + _DAYS[: b + 1])
    for m in _DAY_ONE.finditer(low):
        out.add(next(d for d in _DAYS if d.startswith(m.group(1))))
    if re.search(r"\bweekdays?\b", low):
        out |= set(_DAYS[:5])
    if re.search(r"\bweekends?\b", low):
        out |= {"saturday", "sunday"}
    return out


def _day_fit(question: str, fact: Fact) -> float:
    asked = days_named(question)
    if not asked:
        return 0.0
    have = days_named(fact.text)
    if not have:
        return 0.0
    return DAY_BONUS if asked & have else -DAY_BONUS


def _topics_of(fact: Fact) -> set[str]:
    text = f"{fact.title} {fact.text}"
    return {name for name, rx in TOPIC_EVIDENCE.items() if rx.search(text)}


# Topics whose facts a general question is answered by ("where can I find you?" -> the
# address, wherever the owner wrote it): searched for as well as the question itself.
TOPIC_QUERIES = {
    "location": "Our shop address: we are located at this street",
    "hours": "Opening hours: we open and close at these times",
    "contact": "Call or WhatsApp us on our phone number",
    "payment": "Payment: we accept bank transfer, card and cash",
}
