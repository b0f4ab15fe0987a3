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
from repdesk.ai.engine.base import Action, EngineContext, EngineResult, Fact, Product
from repdesk.ai.engine.catalog_match import Mention
from repdesk.ai.engine.orders_flow import OrderTaker, new_order_state
from repdesk.ai.engine.text import GENERIC, content_terms, expand, term_set
from repdesk.ai.grounding import is_injection
from repdesk.ai.money import format_money

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
        if "order" in intents and (mentions or not _is_info_question(body)):
            ctx.state["order"] = new_order_state()
            taker.add_items(body)
            taker.add_details(body)
            prompt, amounts = taker.next_prompt()
            return self._with_notes(ctx, taker, prompt, amounts, "order", intents)

        answer = None
        if body and _has_content(body):
            answer = await self._answer(ctx, body, intents, mentions, products, pidgin)
        if answer is not None:
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
        terms = content_terms(text)
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
            asks_price = "price" in intents or "availability" in intents
            if extra and not asks_price:
                facts = await ctx.source.search(text, k=6, kinds=("faq", "policy", "knowledge"))
                best = self._best_fact(text, facts)
                if best is not None and best.kind != "product":
                    return EngineResult(
                        [_fact_answer(best, text)],
                        intent="question",
                        evidence=[best.title, best.text],
                    )
                if _is_info_question(text):
                    return self._handoff(
                        CHECK_WITH_TEAM_PIDGIN if pidgin else CHECK_WITH_TEAM,
                        "Question the assistant could not answer",
                        "unknown",
                    )
            return self._product_answer(ctx, mentions, intents)
        if (
            set(terms)
            and set(terms) <= CATALOG_WORDS | GENERIC | {"what", "kind"}
            and (
                "price" in intents
                or "availability" in intents
                or "sell" in terms
                or "product" in terms
            )
        ):
            return self._catalog_answer(products)
        facts = await ctx.source.search(text, k=6)
        best = self._best_fact(text, facts)
        if best is not None:
            if best.kind == "product":
                prod = next((p for p in products if p.id == (best.source_id or best.id)), None)
                if prod is not None:
                    return self._product_answer(ctx, [Mention(prod, None, None, 1.0, 0)], intents)
            return EngineResult(
                [_fact_answer(best, text)], intent="question", evidence=[best.title, best.text]
            )
        if ("price" in intents or "availability" in intents) and terms:
            reply = "I couldn't find that in our catalog. " + (
                CHECK_WITH_TEAM_PIDGIN
                if pidgin
                else "Let me check with the team and get back to you shortly."
            )
            return self._handoff(
                reply, "Asked about a product not in the catalog", "unknown_product"
            )
        return None

    def _best_fact(self, text: str, facts: list[Fact]) -> Fact | None:
        q = [t for t in content_terms(text) if t not in GENERIC] or content_terms(text)
        if not q:
            return None
        wanted = expand(q)
        best: tuple[float, Fact | None] = (0.0, None)
        for f in facts:
            have = term_set(f.title + " " + f.text)
            have |= expand(list(have))
            covered = sum(1 for t in q if t in have or any(s in have for s in expand([t])))
            coverage = covered / len(q)
            bonus = 0.05 if f.kind in ("faq", "policy") else 0.0
            # An FAQ whose question is about something else ("pay on delivery" for "delivery")
            title = [t for t in content_terms(f.title) if t not in GENERIC]
            off_topic = sum(1 for t in title if t not in wanted) / len(title) if title else 0.0
            on_title = sum(1 for t in q if t in set(title)) / len(q)
            score = coverage * 0.7 + f.score * 0.3 + bonus - 0.15 * off_topic + 0.1 * on_title
            ok = coverage >= self.min_coverage
            if ok and score > best[0] and wanted:
                best = (score, f)
        return best[1]

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


def _fact_answer(fact: Fact, question: str) -> str:
    answer = fact.metadata.get("answer") if fact.metadata else None
    if isinstance(answer, str) and answer.strip() and len(answer) <= 1500:
        return answer.strip()
    if fact.kind == "faq":
        return fact.text.strip()
    text = fact.text.strip()
    if len(text) <= 400:
        return text
    # Long knowledge: the sentences closest to the question.
    sentences = re.split(r"(?<=[.!?])\s+", text)
    q = expand(content_terms(question))
    ranked = sorted(sentences, key=lambda s: -len(q & term_set(s)))
    keep = [s for s in sentences if s in ranked[:2]]
    return " ".join(keep)


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
