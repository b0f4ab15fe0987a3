"""The built-in engine: offline, no model download. Answers only with retrieved facts.

Order of decisions for one customer message: refuse prompt injection; hand off when the
customer asks for a person or is upset; continue an order being collected; start an order;
answer product, price and availability questions from the catalog; answer other questions
from FAQs, policies and the knowledge base; greetings, thanks and small talk; anything else
gets an honest "let me check with the team" and a handoff.
"""

from __future__ import annotations

import re

from repdesk.ai.engine import intents as intent_rx
from repdesk.ai.engine import order_details, semantic
from repdesk.ai.engine.base import Action, EngineContext, EngineResult, Fact, Product
from repdesk.ai.engine.catalog_match import Mention
from repdesk.ai.engine.normalise import to_english
from repdesk.ai.engine.orders_flow import (
    OrderTaker,
    _is_correction,
    _quantity_fix,
    new_order_state,
)
from repdesk.ai.engine.text import GENERIC, content_terms, expand, stem, term_set
from repdesk.ai.grounding import figures, is_injection
from repdesk.kit.money import format_money

CHECK_WITH_TEAM = (
    "I'm not sure about that, and I don't want to tell you something wrong. "
    "Let me check with the team and get back to you shortly."
)
CHECK_WITH_TEAM_PIDGIN = (
    "I no sure about that one, and I no wan tell you wetin no correct. "
    "Make I check with the team, we go get back to you shortly."
)
HANDOFF = "I'm passing you to a member of our team now. Someone will reply here shortly."
UPSET_REPLY = (
    "I'm really sorry about this. I'm passing your message to a member of our team right now "
    "so they can sort it out with you personally."
)
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
WHOLE_ANSWER = 300
DAY_BONUS = 0.1  # an hours line for the day asked about (another day's line: minus)
TOPIC_QUERY_WEIGHT = 0.7  # a fact found by the topic's own query, not by the question
ANSWER_SCORE = 0.45  # similarity + bonuses an answer needs
SURE_SCORE = 0.6  # ... to answer "do you sell X?" with a fact rather than "we don't sell it"
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
REFUSAL = "Sorry, I can't share that. I can help with our products, prices, orders and delivery."
_VARIANT_WORDS = {"size", "colour", "color", "small", "medium", "large", "extra", "one", "in"}
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


class BuiltinEngine:
    name = "builtin"

    def __init__(self, *, min_coverage: float = 0.66) -> None:
        self.min_coverage = min_coverage
        self._last_score = 0.0

    async def respond(self, ctx: EngineContext) -> EngineResult:
        result = await self._respond(ctx)
        result.replies = [_voice(ctx, r, result.intent) for r in result.replies]
        return result

    async def _respond(self, ctx: EngineContext) -> EngineResult:
        text = ctx.text.strip()
        if not text:
            return EngineResult(
                ["Could you type your question? I'll be happy to help."], intent="empty"
            )
        if is_injection(text):
            return EngineResult([REFUSAL], intent="injection")
        intents = intent_rx.detect(text)
        pidgin = intent_rx.is_pidgin(text) and ctx.style.pidgin
        if "human" in intents:
            return self._handoff(HANDOFF, "Customer asked for a person", "human")
        if "upset" in intents:
            return self._handoff(UPSET_REPLY, "Customer seems upset", "upset")

        products = await ctx.source.products()
        taker = OrderTaker(ctx, products)
        if ctx.state.get("order"):
            result = await self._continue_order(ctx, taker, text, intents)
            if result is not None:
                return result

        index = taker.index
        body = GREETING_WORDS.sub("", text).strip()
        mentions = index.match(body) if body else []
        details = order_details.extract(body, None, ctx.country) if body else None
        discount = bool(DISCOUNT.search(body))
        if discount:
            intents = [i for i in intents if i != "order"]  # a discount demand is no order
        offer = ctx.state.pop("offer", None)
        gave = details is not None and any(vars(details).values())
        if (
            isinstance(offer, str)
            and not discount
            and (taker.is_confirm(body) or gave or _is_correction(body) or _quantity_fix(body))
            and not _is_info_question(body)
        ):
            # "Would you like to order?" answered: yes, or with the details of the order.
            ctx.state["order"] = {**new_order_state(), **ctx.state.pop("customer", {})}
            taker.add_items(offer)
            taker.add_items(body)
            taker.add_details(body)
            prompt, amounts = taker.next_prompt()
            return self._with_notes(ctx, taker, prompt, amounts, "order", intents)
        asks = "price" in intents or "availability" in intents or _is_info_question(body)
        quoted = any(f.kind == "amount" for f in figures(body))
        if mentions and (quoted or re.search(r"\bhow\s+much\b|\bprice\b", to_english(body), re.I)):
            intents = [i for i in intents if i != "order"]  # answer the price first
            asks = True
        wants = (
            "order" in intents
            or (
                mentions
                and gave
                and details is not None
                and bool(details.method or details.address)
            )
            or (mentions and not asks and not discount)
        )
        if wants and (mentions or not _is_info_question(body)):
            ctx.state["order"] = {**new_order_state(), **ctx.state.pop("customer", {})}
            taker.add_items(body)
            taker.add_details(body)
            prompt, amounts = taker.next_prompt()
            return self._with_notes(ctx, taker, prompt, amounts, "order", intents)
        if details is not None and (details.name or details.phone) and not mentions:
            # Details before any order ("I'm Bisi, 0812…"): kept for the order to come.
            known = {k: v for k, v in vars(details).items() if v}
            ctx.state["customer"] = {**ctx.state.get("customer", {}), **known}
            if not _is_info_question(body) and not _has_question_words(body):
                first = (details.name or "").split(" ")[0]
                thanks = f"Thanks, {first}!" if first else "Thanks!"
                return EngineResult([f"{thanks} What would you like to order?"], intent="details")

        answer = None
        if body and _has_content(body):
            answer = await self._answer(ctx, body, intents, mentions, products, pidgin)
        if answer is not None:
            if answer.intent == "product":
                ctx.state["offer"] = body  # a "yes" next is an order for it
            if "greeting" in intents:
                answer.replies[0] = self._greet(ctx) + " " + answer.replies[0]
            return answer
        if "greeting" in intents:
            return EngineResult(
                [self._greet(ctx) + " How can I help you today?"], intent="greeting"
            )
        if "thanks" in intents or "bye" in intents:
            tail = f" {ctx.style.signoff}" if ctx.style.signoff else ""
            return EngineResult(
                [f"You're welcome! Anything else I can help with?{tail}"], intent="thanks"
            )
        short = len(text.split()) <= 3
        if "smalltalk" in intents or (
            short and (intent_rx.CONFIRM.search(text) or intent_rx.CANCEL.search(text))
        ):
            return EngineResult([self._smalltalk(ctx, text)], intent="smalltalk")
        return self._handoff(
            CHECK_WITH_TEAM_PIDGIN if pidgin else CHECK_WITH_TEAM,
            "Question the assistant could not answer",
            "unknown",
        )

    # -- pieces ----------------------------------------------------------------------------

    def _greet(self, ctx: EngineContext) -> str:
        g = ctx.style.greeting or "Hello"
        name = (ctx.contact_name or "").split(" ")[0] if ctx.contact_name else ""
        who = name or ctx.style.address_customer
        emoji = f" {ctx.style.emoji[0]}" if ctx.style.emoji and ctx.style.emoji_rate >= 0.3 else ""
        return f"{g}{' ' + who if who else ''}!{emoji}"

    def _smalltalk(self, ctx: EngineContext, text: str) -> str:
        low = text.lower()
        if re.search(r"\b(bot|robot|ai|human|real|who are you|your name)\b", low):
            return (
                f"I'm the virtual assistant for {ctx.business_name}. I can help with our "
                "products, prices, orders and delivery, and I can call a person from the team."
            )
        if re.search(r"how\s+are\s+you|how\s+is\s+your\s+day|you\s+dey", low):
            return "I'm doing well, thank you! How can I help you today?"
        return "Alright! Let me know if there's anything I can help with."

    def _handoff(self, reply: str, reason: str, intent: str) -> EngineResult:
        return EngineResult([reply], [Action("escalate", {"reason": reason})], intent=intent)

    def _with_notes(
        self,
        ctx: EngineContext,
        taker: OrderTaker,
        prompt: str,
        amounts: list[str],
        intent: str,
        intents: list[str],
    ) -> EngineResult:
        parts = [*taker.notes, prompt]
        reply = "\n".join(parts)
        if "greeting" in intents and intent == "order":
            reply = self._greet(ctx) + " " + reply
        return EngineResult([reply], intent=intent, evidence=amounts)

    async def _continue_order(
        self, ctx: EngineContext, taker: OrderTaker, text: str, intents: list[str]
    ) -> EngineResult | None:
        order = ctx.state["order"]
        changed = taker.add_items(text)
        changed = taker.add_details(text) or changed
        if changed:
            prompt, amounts = taker.next_prompt()
            return self._with_notes(ctx, taker, prompt, amounts, "order", intents)
        if order.get("stage") == "confirm" and taker.is_confirm(text):
            action = taker.create_action()
            ctx.state.pop("order", None)
            total = format_money(action.data["total"], action.data["currency"])
            reply = (
                f"Your order is confirmed ✅ Total: {total}. "
                "Our team will contact you shortly about payment and delivery. Thank you!"
            )
            return EngineResult([reply], [action], intent="order_confirmed", evidence=[total])
        if taker.is_cancel(text) and len(text.split()) <= 6:
            ctx.state.pop("order", None)
            return EngineResult(
                ["No problem, I've cancelled that order. Anything else I can help with?"],
                intent="order_cancelled",
            )
        if _is_info_question(text) or "price" in intents or "availability" in intents:
            return None  # answer the question; the order stays open
        if taker.note_failure():
            ctx.state.pop("order", None)
            return self._handoff(
                "Sorry, I'm having trouble taking this order here. I'm passing you to a member "
                "of our team now; someone will reply shortly to finish it with you.",
                "Order details not understood twice",
                "order_handoff",
            )
        prompt, amounts = taker.next_prompt()
        return self._with_notes(ctx, taker, prompt, amounts, "order", intents)

    async def _answer(
        self,
        ctx: EngineContext,
        text: str,
        intents: list[str],
        mentions: list[Mention],
        products: list[Product],
        pidgin: bool,
    ) -> EngineResult | None:
        english = to_english(text)
        terms = content_terms(english)
        topics = await _topics(english)
        asks_price = "price" in intents or "availability" in intents
        zone = self._delivery_answer(ctx, english, topics)
        if zone is not None:
            return zone
        if mentions:
            named = {
                t
                for m in mentions
                for t in content_terms(m.product.name + " " + (m.variant.name if m.variant else ""))
            }
            extra = [
                t
                for t in terms
                if t not in named
                and t not in GENERIC
                and t not in CATALOG_WORDS
                and t not in _VARIANT_WORDS
            ]
            discount = bool(DISCOUNT.search(text))
            quoted = any(f.kind == "amount" for f in figures(text))
            asks_price = asks_price or quoted  # "I saw it for N90,000": its real price
            if extra and (not asks_price or discount or _service_asked(extra)):
                # Something about the product other than its price (a repair, delivery of it,
                # a discount): a fact about that answers, if one is close enough.
                facts = await ctx.source.search(
                    english, k=CANDIDATES, kinds=("faq", "policy", "knowledge")
                )
                facts = await self._topic_facts(ctx, topics, facts)
                best = self._best_fact(english, facts, topics)
                covers = best and any(
                    t in term_set(f.title + " " + f.text) | expand(list(term_set(f.text)))
                    for f in best
                    for t in extra
                )
                if discount:
                    best = [f for f in best if DISCOUNT_FACT.search(f.text)]
                if best and (not asks_price or covers or discount):
                    return self._facts_answer(best)
                if not asks_price and _is_info_question(text):
                    return self._handoff(
                        CHECK_WITH_TEAM_PIDGIN if pidgin else CHECK_WITH_TEAM,
                        "Question the assistant could not answer",
                        "unknown",
                    )
            return self._product_answer(ctx, mentions, intents)
        if (
            set(terms)
            and set(terms) <= CATALOG_WORDS | GENERIC | {"what", "kind"}
            and (asks_price or "sell" in terms or "product" in terms)
        ):
            return self._catalog_answer(products)
        facts = await ctx.source.search(english, k=CANDIDATES)
        facts = await self._topic_facts(ctx, topics, facts)
        best = self._best_fact(english, facts, topics)
        if best and _asks_if_sold(english) and self._last_score < SURE_SCORE:
            best = []  # "do you sell pizza?" is not answered by the discount FAQ
        if best:
            top = best[0]
            if top.kind == "product":
                prod = next((p for p in products if p.id == (top.source_id or top.id)), None)
                if prod is not None:
                    return self._product_answer(ctx, [Mention(prod, None, None, 1.0, 0)], intents)
            else:
                return self._facts_answer(best)
        if (asks_price or _top_topic(topics) in ("price", "availability")) and terms:
            return await self._not_sold(ctx, english, products, pidgin)
        return None

    def _delivery_answer(
        self, ctx: EngineContext, english: str, topics: list[tuple[str, float]]
    ) -> EngineResult | None:
        """ "How much to bring it to Ikoyi?": the delivery option whose areas name the place."""
        if "delivery" not in _asked_topics(topics) and not DELIVERY_ASK.search(english):
            return None
        if not FEE_ASK.search(english) or re.search(
            r"\bhow\s+(long|soon|fast|quick)", english, re.I
        ):
            return None  # "how long does delivery take?" is not a fee question
        low = english.lower()
        for option in ctx.delivery:
            if option.method != "delivery" or option.fee is None:
                continue
            area = next((a for a in option.areas if re.search(rf"\b{re.escape(a)}\b", low)), None)
            if area is None:
                continue
            currency = ctx.currency
            fee = "free" if option.fee == 0 else format_money(option.fee, currency)
            reply = f"Delivery to {area.title()} ({option.name}) is {fee}."
            return EngineResult([reply], intent="question", evidence=[fee, option.name])
        return None

    async def _topic_facts(
        self, ctx: EngineContext, topics: list[tuple[str, float]], have: list[Fact]
    ) -> list[Fact]:
        """``have`` plus the facts the asked topic's own query finds, each with the better of
        its similarity to the question and (discounted) to the topic query."""
        merged: dict[str, Fact] = {f.id: f for f in have}
        for topic in _asked_topics(topics):
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

    async def _not_sold(
        self, ctx: EngineContext, english: str, products: list[Product], pidgin: bool
    ) -> EngineResult:
        """A product the business does not sell: say so, and offer the nearest real ones."""
        hits = await ctx.source.search(english, k=6, kinds=("product",))
        by_id = {p.id: p for p in products}
        alts: list[Product] = []
        for h in hits:
            p = by_id.get(h.source_id or h.id)
            sem = h.metadata.get("semantic")
            close = sem >= NOT_SOLD_ALTERNATIVE if isinstance(sem, float) else h.score >= 0.3
            if p is not None and p.available and close and p not in alts:
                alts.append(p)
        if not alts:
            reply = "Sorry, we don't sell that, as far as I can see in our catalog. " + (
                CHECK_WITH_TEAM_PIDGIN
                if pidgin
                else "Let me check with the team and get back to you shortly."
            )
            return self._handoff(
                reply, "Asked about a product not in the catalog", "unknown_product"
            )
        evidence: list[str] = []
        # Named as alternatives, without prices: a price next to a question about another
        # model reads as that model's price.
        lines = ["Sorry, we don't sell that. What we have that comes closest:"]
        lines += [f"- {p.name}" for p in alts[:3]]
        lines.append(
            "Would you like the price of one of these? I've also asked the team in case they "
            "can help."
        )
        return EngineResult(
            ["\n".join(lines)],
            [Action("escalate", {"reason": "Asked about a product not in the catalog"})],
            intent="not_sold",
            evidence=evidence,
        )

    def _facts_answer(self, facts: list[Fact]) -> EngineResult:
        parts: list[str] = []
        evidence: list[str] = []
        for f in facts:
            answer = _fact_answer(f)
            if answer not in parts:
                parts.append(answer)
            evidence += [f.title, f.text]
        return EngineResult(["\n".join(parts)], intent="question", evidence=evidence)

    def _best_fact(
        self, text: str, facts: list[Fact], topics: list[tuple[str, float]] | None = None
    ) -> list[Fact]:
        """The facts that answer the question, best first ([] when none is close enough): by
        meaning (the embedding similarity retrieval measured), helped by shared words; a fact
        about something else that shares the question's words (a repair price for a product
        price, another model) is not an answer."""
        q = [t for t in content_terms(text) if t not in GENERIC] or content_terms(text)
        if not q or not facts:
            return []
        wanted = expand(q)
        topic = _top_topic(topics or [])
        asked = _asked_topics(topics or [])
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
                if coverage >= self.min_coverage and wanted:
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
            self._last_score = 0.0
            return []
        best_score, _, best = scored[0]
        self._last_score = best_score
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
        return out

    def _product_answer(
        self, ctx: EngineContext, mentions: list[Mention], intents: list[str]
    ) -> EngineResult:
        lines: list[str] = []
        evidence: list[str] = []
        for m in mentions[:4]:
            p = m.product
            money = format_money(p.price, p.currency)
            evidence.append(money)
            if m.variant is not None:
                v = m.variant
                vp = format_money(p.variant_price(v), p.currency)
                evidence.append(vp)
                if not p.available or not v.available:
                    others = [x.name for x in p.variants if x.available] if p.available else []
                    alt = f" We have it in {', '.join(others)}." if others else ""
                    lines.append(f"Sorry, **{p.name}** ({v.name}) is out of stock right now.{alt}")
                else:
                    lines.append(f"**{p.name}** ({v.name}) is {vp}, and it's available.")
                continue
            if not p.available:
                lines.append(f"Sorry, **{p.name}** ({money}) is out of stock at the moment.")
                continue
            prices = {p.variant_price(v) for v in p.variants} or {p.price}
            if len(prices) > 1:
                parts = []
                for v in p.variants:
                    vp = format_money(p.variant_price(v), p.currency)
                    evidence.append(vp)
                    parts.append(f"{v.name} {vp}" + ("" if v.available else " (out of stock)"))
                lines.append(f"**{p.name}**: " + ", ".join(parts) + ".")
            else:
                price = format_money(next(iter(prices)), p.currency)
                evidence.append(price)
                opts = ""
                if p.variants:
                    avail = [v.name for v in p.variants if v.available]
                    gone = [v.name for v in p.variants if not v.available]
                    opts = f" Options: {', '.join(avail)}." if avail else ""
                    if gone:
                        opts += f" ({', '.join(gone)} out of stock.)"
                lines.append(f"**{p.name}** is {price}, and it's available.{opts}")
        lines.append("Would you like to order?")
        return EngineResult(["\n".join(lines)], intent="product", evidence=evidence)

    def _catalog_answer(self, products: list[Product]) -> EngineResult:
        avail = [p for p in products if p.available][:12]
        if not avail:
            return self._handoff(CHECK_WITH_TEAM, "No products in the catalog", "catalog")
        evidence = []
        lines = ["Here's what we have:"]
        for p in avail:
            prices = sorted({p.variant_price(v) for v in p.variants} or {p.price})
            money = format_money(prices[0], p.currency)
            evidence.append(money)
            lines.append(f"- {p.name}: {'from ' if len(prices) > 1 else ''}{money}")
        lines.append("Which one would you like?")
        return EngineResult(["\n".join(lines)], intent="catalog", evidence=evidence)


async def relevant_facts(ctx: EngineContext, *, k: int = 6) -> list[Fact]:
    """What the built-in engine would consider for this message, those it would answer with
    first: the grounding the LLM engine gets (the same understanding of the question)."""
    english = to_english(ctx.text)
    topics = await _topics(english)
    engine = BuiltinEngine()
    facts = await ctx.source.search(english, k=CANDIDATES)
    facts = await engine._topic_facts(ctx, topics, facts)
    best = engine._best_fact(english, facts, topics)
    chosen = {f.id for f in best}
    rest = [f for f in facts if f.id not in chosen]
    return [*best, *rest][:k]


async def _topics(english: str) -> list[tuple[str, float]]:
    if not semantic.enabled():
        return []
    vector = await semantic.embed_query(english)
    return await intent_rx.classify(vector)


def _top_topic(topics: list[tuple[str, float]]) -> str | None:
    if topics and topics[0][1] >= TOPIC_SIMILARITY:
        return topics[0][0]
    return None


def _asked_topics(topics: list[tuple[str, float]]) -> set[str]:
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
    return penalty


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


def _service_asked(extra: list[str]) -> bool:
    return bool(set(extra) & {stem(w) for w in _SERVICE_ASK})


def _asks_if_sold(text: str) -> bool:
    return bool(_SOLD_Q.search(text))


def _has_question_words(text: str) -> bool:
    return bool(
        re.search(
            r"\b(how|what|when|where|which|price|cost|much|do you|can i|is there)\b", text, re.I
        )
    )


def _has_content(text: str) -> bool:
    stripped = intent_rx.THANKS.sub("", text)
    return bool(content_terms(stripped))


def _is_info_question(text: str) -> bool:
    low = text.lower().strip()
    return bool(
        re.match(
            r"^(what|when|where|which|who|why|how|do|does|can|could|is|are|will|would|wetin|shey|una)\b",
            low,
        )
    ) or low.endswith("?")


def _fact_answer(fact: Fact) -> str:
    whole = fact.metadata.get("whole") if fact.metadata else None
    if isinstance(whole, str) and 0 < len(whole.strip()) <= WHOLE_ANSWER:
        return whole.strip()  # a short FAQ answer is given whole, as the owner wrote it
    answer = fact.metadata.get("answer") if fact.metadata else None
    if isinstance(answer, str) and answer.strip() and len(answer) <= 1500:
        return answer.strip()
    if fact.kind == "faq":
        return fact.text.strip()
    return fact.text.strip()


VOICED = ("product", "question", "catalog", "order_confirmed")


def _voice(ctx: EngineContext, reply: str, intent: str) -> str:
    """The business's voice on a composed reply: a Pidgin opener for Pidgin-speaking customers
    of a business that writes Pidgin, its favourite emoji, its sign-off after an order, its
    length limit. Never adds a figure."""
    style = ctx.style
    if intent not in VOICED:
        return reply
    if style.pidgin and intent_rx.is_pidgin(ctx.text):
        opener = next((p for p in style.phrases if intent_rx.is_pidgin(p) or "wahala" in p), "")
        if opener and not reply.lower().startswith(opener.lower()):
            reply = f"{opener[0].upper()}{opener[1:]}! {reply}"
    if style.emoji and style.emoji_rate >= 0.5 and not any(e in reply for e in style.emoji):
        reply = f"{reply} {style.emoji[0]}"
    if intent == "order_confirmed" and style.signoff:
        reply = f"{reply}\n{style.signoff}"
    for phrase in style.avoid:
        if phrase and phrase.lower() in reply.lower():
            reply = re.sub(re.escape(phrase), "", reply, flags=re.I).strip()
    if len(reply) > style.max_length > 0 and "\n" not in reply:
        cut = reply[: style.max_length]
        end = cut.rfind(". ")
        reply = cut[: end + 1] if end > style.max_length // 2 else reply
    return reply
