"""What the built-in engine says: the fixed replies, and replies composed from the catalog
and from facts, in the business's voice. Pure functions; never a figure the data lacks."""

from __future__ import annotations

import re

from repdesk.ai.engine import intents as intent_rx
from repdesk.ai.engine.base import Action, EngineContext, EngineResult, Fact, Product
from repdesk.ai.engine.catalog_match import Mention
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
REFUSAL = "Sorry, I can't share that. I can help with our products, prices, orders and delivery."
WHOLE_ANSWER = 300  # an FAQ answer up to this long is given whole


def greet(ctx: EngineContext) -> str:
    g = ctx.style.greeting or "Hello"
    name = (ctx.contact_name or "").split(" ")[0] if ctx.contact_name else ""
    who = name or ctx.style.address_customer
    emoji = f" {ctx.style.emoji[0]}" if ctx.style.emoji and ctx.style.emoji_rate >= 0.3 else ""
    return f"{g}{' ' + who if who else ''}!{emoji}"


def smalltalk(ctx: EngineContext, text: str) -> str:
    low = text.lower()
    if re.search(r"\b(bot|robot|ai|human|real|who are you|your name)\b", low):
        return (
            f"I'm the virtual assistant for {ctx.business_name}. I can help with our "
            "products, prices, orders and delivery, and I can call a person from the team."
        )
    if re.search(r"how\s+are\s+you|how\s+is\s+your\s+day|you\s+dey", low):
        return "I'm doing well, thank you! How can I help you today?"
    return "Alright! Let me know if there's anything I can help with."


def handoff(reply: str, reason: str, intent: str) -> EngineResult:
    return EngineResult([reply], [Action("escalate", {"reason": reason})], intent=intent)


def facts_answer(facts: list[Fact]) -> EngineResult:
    parts: list[str] = []
    evidence: list[str] = []
    for f in facts:
        answer = fact_answer(f)
        if answer not in parts:
            parts.append(answer)
        evidence += [f.title, f.text]
    return EngineResult(["\n".join(parts)], intent="question", evidence=evidence)


def product_answer(mentions: list[Mention]) -> EngineResult:
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


def catalog_answer(products: list[Product]) -> EngineResult:
    avail = [p for p in products if p.available][:12]
    if not avail:
        return handoff(CHECK_WITH_TEAM, "No products in the catalog", "catalog")
    evidence = []
    lines = ["Here's what we have:"]
    for p in avail:
        prices = sorted({p.variant_price(v) for v in p.variants} or {p.price})
        money = format_money(prices[0], p.currency)
        evidence.append(money)
        lines.append(f"- {p.name}: {'from ' if len(prices) > 1 else ''}{money}")
    lines.append("Which one would you like?")
    return EngineResult(["\n".join(lines)], intent="catalog", evidence=evidence)


def fact_answer(fact: Fact) -> str:
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


def voice(ctx: EngineContext, reply: str, intent: str) -> str:
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
