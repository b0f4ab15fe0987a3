"""Running an engine for a conversation or the playground: context, grounding, actions.

``respond`` builds the engine context from the business's data (part A's retrieval and
catalog, the style profile, delivery options in the assistant's settings), runs the engine,
checks every figure in every reply against the business's data (a reply that fails is
replaced by an honest "let me check with the team" and a handoff), and keeps the engine's
memory. ``apply_actions`` performs what the engine decided: orders, handoff, tags.
"""

from __future__ import annotations

import copy
import logging
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from repdesk import vault
from repdesk.accounts import service as accounts
from repdesk.accounts.email import queue_email
from repdesk.ai import dialect
from repdesk.ai.config import ai_settings
from repdesk.ai.engine.base import (
    Action,
    DeliveryOption,
    Engine,
    EngineContext,
    EngineResult,
    Fact,
    Product,
    Style,
    Turn,
    Variant,
)
from repdesk.ai.engine.builtin import CHECK_WITH_TEAM, BuiltinEngine
from repdesk.ai.grounding import Evidence, misattributed, unsupported
from repdesk.ai.llm.engine import LLMEngine
from repdesk.ai.llm.providers import AnthropicProvider, OpenAIProvider
from repdesk.ai.models import EngineState, LLMCall, WorkspaceAI
from repdesk.ai.settings_service import ai_reach
from repdesk.assistants.models import Assistant
from repdesk.conversations import service as conversations
from repdesk.conversations.models import Conversation
from repdesk.kit.urlguard import Reach
from repdesk.orders import service as orders
from repdesk.payments import assist as payments_assist
from repdesk.training.models import StyleProfile

log = logging.getLogger("repdesk.ai")


# The catalog as the engine sees it, per assistant and index version (every product change
# bumps the version in its own transaction): read once, not on every reply.
_catalog: dict[str, tuple[int, list[Product]]] = {}
_CATALOG_CACHE = 256
_vocabularies: dict[str, tuple[int, frozenset[str]]] = {}


class DbSource:
    """The business's data through part A's retrieval and catalog services."""

    def __init__(self, session: AsyncSession, assistant_id: str) -> None:
        from repdesk.knowledge import retrieval

        self.session = session
        self.assistant_id = assistant_id
        self.seen: list[Fact] = []
        self._products: list[Product] | None = None
        self._reader = retrieval.Reader(session, assistant_id)

    async def search(
        self, query: str, *, k: int = 5, kinds: tuple[str, ...] | None = None
    ) -> list[Fact]:
        from repdesk.ai.engine.text import content_terms, expand, term_set
        from repdesk.knowledge import retrieval

        wanted = set(kinds) if kinds else None
        hits = await self._reader.search(query, k=k, kinds=wanted)
        # The customer's words plus their synonyms ("close" -> hours) as a second query.
        asked = content_terms(query)
        terms = sorted(expand(asked) - set(asked))
        found = term_set(" ".join(f"{h.title} {h.text}" for h in hits[:3]))
        if terms and not all(t in found for t in asked) and not retrieval.embeddings_enabled():
            more = await self._reader.search(query + " " + " ".join(terms), k=k, kinds=wanted)
            seen = {h.id for h in hits}
            hits += [h for h in more if h.id not in seen]
        facts = [
            Fact(h.kind, h.id, h.title, h.text, float(h.score), h.source_id, dict(h.metadata))
            for h in hits
        ]
        self.seen += facts
        return facts

    async def products(self) -> list[Product]:
        if self._products is None:
            version = await self._reader.version()
            cached = _catalog.get(self.assistant_id)
            if cached is not None and cached[0] == version:
                self._products = cached[1]
                return self._products
            from repdesk.catalog import service as catalog

            rows = await catalog.list_products(self.session, assistant_id=self.assistant_id)
            self._products = [
                Product(
                    p.id,
                    p.name,
                    p.description or "",
                    int(p.price),
                    p.currency,
                    bool(p.available),
                    tuple(Variant(v.id, v.name, v.price, bool(v.available)) for v in p.variants),
                )
                for p in rows
            ]
            _catalog.pop(self.assistant_id, None)
            _catalog[self.assistant_id] = (version, self._products)
            while len(_catalog) > _CATALOG_CACHE:
                _catalog.pop(next(iter(_catalog)))
        return self._products

    async def vocabulary(self) -> frozenset[str]:
        """The words of every indexed chunk (knowledge, FAQs, products), per index version."""
        from repdesk.ai.engine.text import term_set

        version = await self._reader.version()
        cached = _vocabularies.get(self.assistant_id)
        if cached is not None and cached[0] == version:
            return cached[1]
        words = frozenset(term_set("\n".join(await self._reader.texts())))
        _vocabularies.pop(self.assistant_id, None)
        _vocabularies[self.assistant_id] = (version, words)
        while len(_vocabularies) > _CATALOG_CACHE:
            _vocabularies.pop(next(iter(_vocabularies)))
        return words


@dataclass
class Turnout:
    result: EngineResult
    blocked: list[str]  # figures a reply stated without a source (replaced before sending)


async def engine_for(session: AsyncSession, workspace_id: str) -> Engine:
    """The workspace's engine: its own LLM settings, else the operator's default, else the
    built-in engine."""
    row = await session.scalar(select(WorkspaceAI).where(WorkspaceAI.workspace_id == workspace_id))
    op = ai_settings()
    reach: Reach | None = None  # the operator's endpoint is trusted
    if row is not None:
        reach = ai_reach()
        provider, base_url, model, timeout = (
            row.provider,
            row.base_url or "",
            row.model or "",
            float(row.timeout_seconds),
        )
        key = vault.decrypt(row.api_key_encrypted) if row.api_key_encrypted else ""
    else:
        provider, base_url, model, timeout, key = (
            op.provider,
            op.base_url,
            op.model,
            op.timeout,
            op.api_key,
        )
    if provider == "openai" and model:
        return LLMEngine(
            OpenAIProvider(
                base_url=base_url, api_key=key, model=model, timeout=timeout, reach=reach
            )
        )
    if provider == "anthropic" and model:
        return LLMEngine(
            AnthropicProvider(
                base_url=base_url, api_key=key, model=model, timeout=timeout, reach=reach
            )
        )
    return BuiltinEngine()


async def record_calls(
    session: AsyncSession,
    engine: Engine,
    *,
    workspace_id: str,
    assistant_id: str,
    conversation_id: str | None,
) -> None:
    for c in getattr(engine, "calls", []):
        session.add(
            LLMCall(
                workspace_id=workspace_id,
                assistant_id=assistant_id,
                conversation_id=conversation_id,
                provider=c.provider,
                model=c.model[:120],
                prompt_tokens=c.prompt_tokens,
                completion_tokens=c.completion_tokens,
                latency_ms=c.latency_ms,
                status=c.status,
                error=c.error,
            )
        )
        log.info(
            "llm call",
            extra={
                "provider": c.provider,
                "model": c.model,
                "status": c.status,
                "latency_ms": c.latency_ms,
                "prompt_tokens": c.prompt_tokens,
                "completion_tokens": c.completion_tokens,
            },
        )
    if getattr(engine, "calls", None):
        engine.calls.clear()  # type: ignore[attr-defined]
        await session.flush()


async def load_state(session: AsyncSession, *, key: str, assistant_id: str) -> EngineState:
    row = await session.scalar(select(EngineState).where(EngineState.key == key))
    if row is not None:
        return row
    row = EngineState(
        key=key, assistant_id=assistant_id, state={}, history=[], test=key.startswith("pg:")
    )
    try:
        async with session.begin_nested():
            session.add(row)
            await session.flush()
    except IntegrityError:
        row = await session.scalar(select(EngineState).where(EngineState.key == key))
        assert row is not None
    return row


async def style_for(session: AsyncSession, assistant_id: str) -> tuple[Style, list[dict[str, str]]]:
    profile = await session.scalar(
        select(StyleProfile).where(StyleProfile.assistant_id == assistant_id)
    )
    if profile is None:
        return Style(), []
    return Style.from_profile(profile.profile), list(profile.examples or [])[:20]


def delivery_options(assistant: Assistant) -> list[DeliveryOption]:
    return [DeliveryOption.from_dict(d) for d in orders.delivery_options_of(assistant)]


async def respond(
    session: AsyncSession,
    *,
    assistant: Assistant,
    text: str,
    state_key: str,
    channel: str,
    history: list[Turn],
    contact_name: str | None = None,
    contact_phone: str | None = None,
    contact_email: str | None = None,
    conversation_id: str | None = None,
    engine: Engine | None = None,
) -> Turnout:
    business = await accounts.get_workspace_or_404(session, assistant.workspace_id)
    source = DbSource(session, assistant.id)
    style, examples = await style_for(session, assistant.id)
    row = await load_state(session, key=state_key, assistant_id=assistant.id)
    state = copy.deepcopy(row.state or {})
    ctx = EngineContext(
        business_name=business.business_name,
        channel=channel,
        text=text,
        source=source,
        history=history,
        style=style,
        examples=examples,
        delivery=delivery_options(assistant),
        contact_name=contact_name,
        contact_phone=contact_phone,
        country=str((assistant.settings or {}).get("country") or "NG"),
        state=state,
        workspace_id=assistant.workspace_id,
        assistant_id=assistant.id,
        conversation_id=conversation_id,
        payments=await payments_assist.mode(session, assistant.workspace_id),
        contact_email=contact_email,
    )
    engine = engine or await engine_for(session, assistant.workspace_id)
    state_before = copy.deepcopy(state)
    result = await engine.respond(ctx)
    await record_calls(
        session,
        engine,
        workspace_id=assistant.workspace_id,
        assistant_id=assistant.id,
        conversation_id=conversation_id,
    )
    products = await source.products()

    def evidence_for(res: EngineResult) -> Evidence:
        return Evidence.build(
            [
                *res.evidence,
                *(f"{f.title} {f.text}" for f in source.seen),
                *(p.name + " " + " ".join(v.name for v in p.variants) for p in products),
            ],
            amounts_minor=[
                a for p in products for a in (p.price, *(p.variant_price(v) for v in p.variants))
            ]
            + [o.fee for o in ctx.delivery if o.fee is not None],
            customer_texts=[text, *(t.text for t in history if t.role == "customer")],
            phones=[contact_phone] if contact_phone else [],
            currency=ctx.currency,
        )

    fees = [o.fee for o in ctx.delivery if o.fee is not None]
    quoted = [f.text for f in source.seen]
    blocked = _blocked(result, evidence_for(result), products, fees, quoted, ctx.currency)
    reported = list(blocked)
    if blocked and engine.name != "builtin":
        # The model stated a figure no source supports: answer with the built-in engine.
        log.warning("llm reply blocked by grounding check", extra={"figures": blocked[:5]})
        ctx.state.clear()
        ctx.state.update(state_before)
        result = await BuiltinEngine().respond(ctx)
        result.engine = "builtin-after-grounding"
        blocked = _blocked(result, evidence_for(result), products, fees, quoted, ctx.currency)
    if blocked:
        log.warning("ai reply blocked by grounding check", extra={"figures": blocked[:5]})
        result.replies = [CHECK_WITH_TEAM]
        result.actions = [a for a in result.actions if a.type != "create_order"]
        result.actions.append(Action("escalate", {"reason": "Reply failed the grounding check"}))
        result.intent = "blocked"
    else:
        result.replies = [dialect.for_channel(r, channel) for r in result.replies]
    row.state = ctx.state
    return Turnout(result, reported)


def _blocked(
    result: EngineResult,
    evidence: Evidence,
    products: list[Product],
    fees: list[int],
    quoted: list[str],
    currency: str,
) -> list[str]:
    out = []
    for reply in result.replies:
        out += [f.raw for f in unsupported(reply, evidence)]
        out += [
            f.raw
            for f in misattributed(reply, products, fees=fees, quoted=quoted, currency=currency)
        ]
    return out


async def apply_actions(
    session: AsyncSession,
    *,
    assistant: Assistant,
    actions: list[Action],
    conversation: Conversation | None = None,
    contact_id: str | None = None,
    test: bool = False,
) -> list[dict[str, Any]]:
    """Perform the engine's actions; returns what was done (for the playground and logs)."""
    done: list[dict[str, Any]] = []
    for action in actions:
        if action.type == "create_order":
            d = action.data
            new = orders.NewOrder(
                currency=d["currency"],
                items=[
                    orders.LineItem(
                        name=i["name"],
                        quantity=int(i["quantity"]),
                        unit_price=int(i["unitPrice"]),
                        product_id=i.get("productId"),
                        variant_id=i.get("variantId"),
                        variant=i.get("variant"),
                    )
                    for i in d["items"]
                ],
                delivery_fee=int(d.get("deliveryFee") or 0),
                customer_name=d.get("customerName"),
                customer_phone=d.get("customerPhone"),
                delivery_address=d.get("deliveryAddress"),
                delivery_method=d.get("deliveryMethod"),
            )
            order = await orders.create(
                session,
                assistant=assistant,
                new=new,
                conversation_id=conversation.id if conversation else None,
                contact_id=contact_id,
                test=test,
            )
            done.append(
                {
                    "type": "create_order",
                    "orderId": order.id,
                    "number": order.number,
                    "total": order.total,
                    "currency": order.currency,
                    "test": test,
                }
            )
        elif action.type == "escalate":
            reason = str(action.data.get("reason") or "The assistant asked for a person")
            if conversation is not None and not test:
                await conversations.request_human(session, conversation, reason)
                await notify_owners(
                    session,
                    assistant=assistant,
                    subject=f"A customer needs a person ({assistant.name})",
                    body=f"{reason}.\n\nOpen the inbox to reply: conversation {conversation.id}.",
                )
            done.append({"type": "escalate", "reason": reason})
        elif action.type == "payment":
            send = str(action.data.get("send") or "")
            if conversation is not None and not test and send in ("link", "again", "instructions"):
                await payments_assist.request(
                    session,
                    conversation_id=conversation.id,
                    contact_id=contact_id,
                    send=send,
                    email=action.data.get("email"),
                )
            email = action.data.get("email")
            done.append({"type": "payment", "send": send} | ({"email": email} if email else {}))
        elif action.type == "tag":
            done.append({"type": "tag", "tag": action.data.get("tag")})
    return done


async def notify_owners(
    session: AsyncSession, *, assistant: Assistant, subject: str, body: str
) -> None:
    for email in await accounts.workspace_owner_emails(session, assistant.workspace_id):
        await queue_email(session, to=email, subject=subject, body=body)
