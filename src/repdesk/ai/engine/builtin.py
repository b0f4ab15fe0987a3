"""The built-in engine: offline, no model download. Answers only with retrieved facts.

Order of decisions for one customer message: refuse prompt injection; hand off when the
customer asks for a person or is upset; continue an order being collected; start an order;
answer product, price and availability questions from the catalog; answer other questions
from FAQs, policies and the knowledge base; greetings, thanks and small talk; anything else
gets an honest "let me check with the team" and a handoff.
"""

from __future__ import annotations

import re

from repdesk.ai.engine import asks, facts, order_details, pay, replies
from repdesk.ai.engine import intents as intent_rx
from repdesk.ai.engine.asks import (
    CATALOG_WORDS,
    DELIVERY_ASK,
    DISCOUNT,
    DISCOUNT_FACT,
    FEE_ASK,
    GREETING_WORDS,
    VARIANT_WORDS,
    has_content,
    has_question_words,
    is_info_question,
)
from repdesk.ai.engine.base import Action, EngineContext, EngineResult, Product
from repdesk.ai.engine.catalog_match import Mention
from repdesk.ai.engine.facts import (
    CANDIDATES,
    NOT_SOLD_ALTERNATIVE,
    SURE_SCORE,
    asked_topics,
    best_facts,
    days_named,
    model_tokens,
    question_topics,
    relevant_facts,
    top_topic,
    topic_facts,
)
from repdesk.ai.engine.fulfilment import method_by_meaning
from repdesk.ai.engine.normalise import to_english
from repdesk.ai.engine.orders_flow import (
    OrderTaker,
    _is_correction,
    _quantity_fix,
    new_order_state,
)
from repdesk.ai.engine.replies import (
    CHECK_WITH_TEAM,
    CHECK_WITH_TEAM_PIDGIN,
    HANDOFF,
    REFUSAL,
    UPSET_REPLY,
    handoff,
)
from repdesk.ai.engine.text import GENERIC, content_terms, expand, stem, term_set
from repdesk.ai.grounding import figures, is_injection
from repdesk.kit.money import format_money

SHORT_QUESTION = 6  # words; see _names_unknown
METHOD_ASKS = ("name", "phone", "method", "address")  # asks a delivery-or-pickup reply may follow

__all__ = ["CHECK_WITH_TEAM", "BuiltinEngine", "days_named", "model_tokens", "relevant_facts"]


class BuiltinEngine:
    name = "builtin"

    def __init__(self, *, min_coverage: float = facts.MIN_COVERAGE) -> None:
        self.min_coverage = min_coverage

    async def respond(self, ctx: EngineContext) -> EngineResult:
        result = await self._respond(ctx)
        result.replies = [replies.voice(ctx, r, result.intent) for r in result.replies]
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
            return handoff(HANDOFF, "Customer asked for a person", "human")
        if "upset" in intents:
            return handoff(UPSET_REPLY, "Customer seems upset", "upset")
        answered = pay.continue_email(ctx, text)
        if answered is not None:
            return answered
        if ctx.payments != "none" and pay.wants_link_again(text):
            return pay.link_again()

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
            and (
                taker.is_confirm(body)
                or gave
                or _is_correction(body)
                or _quantity_fix(body)
                or ("order" in intents and not mentions)  # "I'll take two"
            )
            and not is_info_question(body)
        ):
            # "Would you like to order?" answered: yes, or with the details of the order.
            ctx.state["order"] = {**new_order_state(), **ctx.state.pop("customer", {})}
            taker.add_items(offer)
            taker.add_items(body)
            taker.add_details(body)
            prompt, amounts = taker.next_prompt()
            return self._with_notes(ctx, taker, prompt, amounts, "order", intents)
        asks = "price" in intents or "availability" in intents or is_info_question(body)
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
        if wants and (mentions or not is_info_question(body)):
            ctx.state["order"] = {**new_order_state(), **ctx.state.pop("customer", {})}
            taker.add_items(body)
            taker.add_details(body)
            prompt, amounts = taker.next_prompt()
            return self._with_notes(ctx, taker, prompt, amounts, "order", intents)
        if details is not None and (details.name or details.phone) and not mentions:
            # Details before any order ("I'm Bisi, 0812…"): kept for the order to come.
            known = {k: v for k, v in vars(details).items() if v}
            ctx.state["customer"] = {**ctx.state.get("customer", {}), **known}
            if not is_info_question(body) and not has_question_words(body):
                first = (details.name or "").split(" ")[0]
                thanks = f"Thanks, {first}!" if first else "Thanks!"
                return EngineResult([f"{thanks} What would you like to order?"], intent="details")

        answer = None
        if body and has_content(body):
            answer = await self._answer(ctx, body, intents, mentions, products, pidgin)
        if answer is not None:
            if answer.intent == "product":
                ctx.state["offer"] = body  # a "yes" next is an order for it
            if "greeting" in intents:
                answer.replies[0] = replies.greet(ctx) + " " + answer.replies[0]
            return answer
        if "greeting" in intents:
            return EngineResult(
                [replies.greet(ctx) + " How can I help you today?"], intent="greeting"
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
            return EngineResult([replies.smalltalk(ctx, text)], intent="smalltalk")
        return handoff(
            CHECK_WITH_TEAM_PIDGIN if pidgin else CHECK_WITH_TEAM,
            "Question the assistant could not answer",
            "unknown",
        )

    # -- pieces ----------------------------------------------------------------------------

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
            reply = replies.greet(ctx) + " " + reply
        return EngineResult([reply], intent=intent, evidence=amounts)

    async def _continue_order(
        self, ctx: EngineContext, taker: OrderTaker, text: str, intents: list[str]
    ) -> EngineResult | None:
        order = ctx.state["order"]
        added = taker.add_items(text)
        changed = taker.add_details(text) or added
        if not added and not order["items"] and order.get("awaiting") == "items":
            changed = False  # details alone do not answer "what would you like to order?"
        if not changed and not order.get("method") and order.get("awaiting") in METHOD_ASKS:
            method = await method_by_meaning(text)  # "my truck will come and load it"
            if method is not None:
                order["method"] = method
                changed = True
        if changed:
            prompt, amounts = taker.next_prompt()
            return self._with_notes(ctx, taker, prompt, amounts, "order", intents)
        if order.get("stage") == "confirm" and taker.is_confirm(text):
            action = taker.create_action()
            ctx.state.pop("order", None)
            total = format_money(action.data["total"], action.data["currency"])
            reply, asked = pay.after_confirm(ctx, f"Your order is confirmed ✅ Total: {total}.")
            if not asked:
                reply += " Our team will contact you shortly about payment and delivery. Thank you!"
            return EngineResult([reply], [action], intent="order_confirmed", evidence=[total])
        if taker.is_cancel(text) and len(text.split()) <= 6:
            ctx.state.pop("order", None)
            return EngineResult(
                ["No problem, I've cancelled that order. Anything else I can help with?"],
                intent="order_cancelled",
            )
        if is_info_question(text) or "price" in intents or "availability" in intents:
            return None  # answer the question; the order stays open
        if taker.note_failure():
            ctx.state.pop("order", None)
            return handoff(
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
        topics = await question_topics(english)
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
                and t not in VARIANT_WORDS
            ]
            discount = bool(DISCOUNT.search(text))
            quoted = any(f.kind == "amount" for f in figures(text))
            asks_price = asks_price or quoted  # "I saw it for N90,000": its real price
            if extra and (not asks_price or discount or asks.service_asked(extra)):
                # Something about the product other than its price (a repair, delivery of it,
                # a discount): a fact about that answers, if one is close enough.
                found = await ctx.source.search(
                    english, k=CANDIDATES, kinds=("faq", "policy", "knowledge")
                )
                found = await topic_facts(ctx, topics, found)
                best, _score = best_facts(english, found, topics, min_coverage=self.min_coverage)
                covers = best and any(
                    t in term_set(f.title + " " + f.text) | expand(list(term_set(f.text)))
                    for f in best
                    for t in extra
                )
                if discount:
                    # A discount demand is answered by what the business says about discounts.
                    best = [f for f in found if DISCOUNT_FACT.search(f"{f.title} {f.text}")][:1]
                if best and (not asks_price or covers or discount):
                    return replies.facts_answer(best)
                if not asks_price and is_info_question(text):
                    return handoff(
                        CHECK_WITH_TEAM_PIDGIN if pidgin else CHECK_WITH_TEAM,
                        "Question the assistant could not answer",
                        "unknown",
                    )
            return replies.product_answer(mentions)
        if (
            set(terms)
            and set(terms) <= CATALOG_WORDS | GENERIC | {"what", "kind"}
            and (asks_price or "sell" in terms or "product" in terms)
        ):
            return replies.catalog_answer(products)
        found = await ctx.source.search(english, k=CANDIDATES)
        found = await topic_facts(ctx, topics, found)
        best, score = best_facts(english, found, topics, min_coverage=self.min_coverage)
        if best and asks.asks_if_sold(english) and score < SURE_SCORE:
            best = []  # "do you sell pizza?" is not answered by the discount FAQ
        if (
            best
            and asks.is_yes_no(english)
            and len(english.split()) <= SHORT_QUESTION
            and await self._names_unknown(ctx, english)
        ):
            best = []  # "can I pay with bitcoin?": the payment facts never mention it
        if best:
            top = best[0]
            if top.kind == "product":
                prod = next((p for p in products if p.id == (top.source_id or top.id)), None)
                if prod is not None:
                    return replies.product_answer([Mention(prod, None, None, 1.0, 0)])
            else:
                return replies.facts_answer(best)
        if (asks_price or top_topic(topics) in ("price", "availability")) and terms:
            return await self._not_sold(ctx, english, products, pidgin)
        return None

    async def _names_unknown(self, ctx: EngineContext, english: str) -> bool:
        """Whether a short yes/no question asks about a thing the business's data never
        mentions (by that word or a synonym): then a fact on the same topic does not answer it.
        Only short questions: in "Can I pay with bitcoin?" every word is the thing asked; in a
        longer one new words mostly tell the circumstances ("my mum is allergic to eggs, can
        you still bake for her?"), and the meaning of a single word measured against a fact's
        (MiniLM) does not tell the two apart (0.0-0.45 for both on the tune split)."""
        vocabulary = getattr(ctx.source, "vocabulary", None)
        if vocabulary is None:
            return False
        words = await vocabulary()
        areas = {stem(w) for o in ctx.delivery for a in (o.name, *o.areas) for w in a.split()}
        novel = [
            t
            for t in asks.subject_terms(english)
            if t not in words and t not in areas and not expand([t]) & words
        ]
        return bool(novel)

    def _delivery_answer(
        self, ctx: EngineContext, english: str, topics: list[tuple[str, float]]
    ) -> EngineResult | None:
        """ "How much to bring it to Ikoyi?": the delivery option whose areas name the place."""
        if "delivery" not in asked_topics(topics) and not DELIVERY_ASK.search(english):
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
            return handoff(reply, "Asked about a product not in the catalog", "unknown_product")
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
