"""The LLM engine: a chat model with tools over the same business data and grounding.

Provider errors (timeout, 429, 5xx, connection) fall back to the built-in engine for that
message, never to silence. Every call is recorded in ``calls`` (provider, model, tokens,
latency, status) for the caller to store.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from typing import Any

from repdesk.ai.engine.base import Action, Engine, EngineContext, EngineResult, Product
from repdesk.ai.engine.builtin import BuiltinEngine, relevant_facts
from repdesk.ai.engine.catalog_match import catalog_index
from repdesk.ai.engine.normalise import to_english
from repdesk.ai.engine.orders_flow import OrderTaker, new_order_state
from repdesk.ai.grounding import is_injection
from repdesk.ai.llm.prompts import TOOLS, system_prompt
from repdesk.ai.llm.providers import ChatProvider, ProviderError, ToolCall
from repdesk.kit.money import format_money

MAX_ROUNDS = 5


@dataclass
class CallRecord:
    provider: str
    model: str
    prompt_tokens: int
    completion_tokens: int
    latency_ms: int
    status: str
    error: str | None = None


def _product_json(p: Product) -> dict[str, Any]:
    return {
        "productId": p.id,
        "name": p.name,
        "description": p.description[:300],
        "price": format_money(p.price, p.currency),
        "available": p.available,
        "variants": [
            {
                "variantId": v.id,
                "name": v.name,
                "price": format_money(p.variant_price(v), p.currency),
                "available": v.available,
            }
            for v in p.variants
        ],
    }


class LLMEngine:
    name = "llm"

    def __init__(self, provider: ChatProvider, *, fallback: Engine | None = None) -> None:
        self.provider = provider
        self.fallback = fallback or BuiltinEngine()
        self.calls: list[CallRecord] = []

    async def respond(self, ctx: EngineContext) -> EngineResult:
        if is_injection(ctx.text):
            return await self.fallback.respond(ctx)
        state_before = json.loads(json.dumps(ctx.state))
        try:
            return await self._respond(ctx)
        except ProviderError:
            ctx.state.clear()
            ctx.state.update(state_before)
            result = await self.fallback.respond(ctx)
            result.engine = "builtin-fallback"
            return result

    async def _respond(self, ctx: EngineContext) -> EngineResult:
        # The built-in engine's retrieval: the question in plain English, per sentence and
        # row, the facts that answer it first.
        facts = await relevant_facts(ctx, k=6)
        system = system_prompt(ctx, facts)
        messages: list[dict[str, Any]] = []
        for t in ctx.history[-12:]:
            messages.append(
                {"role": "user" if t.role == "customer" else "assistant", "content": t.text}
            )
        messages.append({"role": "user", "content": ctx.text})
        evidence = [f"{f.title} {f.text}" for f in facts]
        actions: list[Action] = []
        products = await ctx.source.products()
        for _ in range(MAX_ROUNDS):
            t0 = time.perf_counter()
            try:
                resp = await self.provider.complete(system=system, messages=messages, tools=TOOLS)
            except ProviderError as exc:
                self.calls.append(
                    CallRecord(
                        self.provider.name,
                        self.provider.model,
                        0,
                        0,
                        int((time.perf_counter() - t0) * 1000),
                        exc.status,
                        str(exc)[:300],
                    )
                )
                raise
            self.calls.append(
                CallRecord(
                    self.provider.name,
                    resp.model or self.provider.model,
                    resp.prompt_tokens,
                    resp.completion_tokens,
                    int((time.perf_counter() - t0) * 1000),
                    "ok",
                )
            )
            if not resp.tool_calls:
                text = resp.content.strip()
                if not text:
                    raise ProviderError("empty reply")
                return EngineResult([text], actions, intent="llm", engine="llm", evidence=evidence)
            messages.append(
                {"role": "assistant", "content": resp.content, "tool_calls": resp.tool_calls}
            )
            for call in resp.tool_calls:
                output = await self._tool(ctx, call, products, actions)
                evidence.append(output)
                messages.append({"role": "tool", "id": call.id, "content": output})
        raise ProviderError("too many tool rounds")

    async def _tool(
        self, ctx: EngineContext, call: ToolCall, products: list[Product], actions: list[Action]
    ) -> str:
        try:
            args = json.loads(call.arguments or "{}")
            if not isinstance(args, dict):
                raise ValueError("arguments must be an object")
        except ValueError:
            return json.dumps({"error": "invalid arguments: send a JSON object"})
        try:
            return await self._run_tool(ctx, call.name, args, products, actions)
        except (KeyError, TypeError, ValueError) as exc:
            return json.dumps({"error": f"invalid arguments: {exc}"})

    async def _run_tool(
        self,
        ctx: EngineContext,
        name: str,
        args: dict[str, Any],
        products: list[Product],
        actions: list[Action],
    ) -> str:
        by_id = {p.id: p for p in products}
        if name == "search_knowledge":
            hits = await ctx.source.search(to_english(str(args["query"])), k=5)
            return json.dumps(
                [{"kind": h.kind, "title": h.title, "text": h.text[:800]} for h in hits],
                ensure_ascii=False,
            )
        if name == "find_products":
            found = [m.product for m in catalog_index(products).match(str(args["query"]))]
            found = found or products[:10]
            return json.dumps([_product_json(p) for p in found[:10]], ensure_ascii=False)
        if name == "get_product":
            p = by_id.get(str(args["productId"]))
            return json.dumps(
                _product_json(p) if p else {"error": "no such product"}, ensure_ascii=False
            )
        if name == "update_draft_order":
            return self._update_order(ctx, args, products)
        if name == "confirm_order":
            taker = OrderTaker(ctx, products)
            order = ctx.state.get("order")
            if not order or not order.get("items"):
                return json.dumps({"error": "there is no draft order"})
            missing = taker.missing()
            if missing:
                return json.dumps({"error": "missing details", "missing": missing})
            action = taker.create_action()
            actions.append(action)
            ctx.state.pop("order", None)
            return json.dumps(
                {
                    "placed": True,
                    "total": format_money(action.data["total"], action.data["currency"]),
                },
                ensure_ascii=False,
            )
        if name == "escalate":
            actions.append(
                Action("escalate", {"reason": str(args.get("reason") or "LLM asked")[:200]})
            )
            return json.dumps({"escalated": True})
        return json.dumps({"error": f"unknown tool {name}"})

    def _update_order(
        self, ctx: EngineContext, args: dict[str, Any], products: list[Product]
    ) -> str:
        by_id = {p.id: p for p in products}
        order = ctx.state.setdefault("order", new_order_state())
        problems: list[str] = []
        if "items" in args:
            items = []
            for raw in args["items"]:
                p = by_id.get(str(raw["productId"]))
                qty = int(raw.get("quantity") or 1)
                if p is None or qty < 1:
                    problems.append(f"unknown product {raw.get('productId')}")
                    continue
                v = next((x for x in p.variants if x.id == raw.get("variantId")), None)
                if p.variants and v is None:
                    problems.append(f"{p.name}: choose a variant")
                    continue
                if not p.available or (v is not None and not v.available):
                    problems.append(f"{p.name}{' ' + v.name if v else ''} is out of stock")
                    continue
                items.append(
                    {
                        "productId": p.id,
                        "variantId": v.id if v else None,
                        "name": p.name,
                        "variant": v.name if v else None,
                        "quantity": qty,
                        "unitPrice": p.variant_price(v),
                    }
                )
            order["items"] = items
        for key, field in (
            ("customerName", "name"),
            ("phone", "phone"),
            ("address", "address"),
            ("deliveryMethod", "method"),
        ):
            if args.get(key):
                order[field] = str(args[key])[:300]
        taker = OrderTaker(ctx, products)
        subtotal, fee, total = taker.totals()
        option = taker.delivery_option()
        return json.dumps(
            {
                "items": [
                    {
                        "name": i["name"],
                        "variant": i["variant"],
                        "quantity": i["quantity"],
                        "lineTotal": taker.money(i["quantity"] * i["unitPrice"]),
                    }
                    for i in order["items"]
                ],
                "subtotal": taker.money(subtotal),
                "delivery": option.name if option else None,
                "deliveryFee": taker.money(fee)
                if fee is not None
                else "to be confirmed by the team",
                "total": taker.money(total),
                "missing": taker.missing(),
                "problems": problems,
            },
            ensure_ascii=False,
        )
