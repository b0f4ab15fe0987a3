"""Run the evaluation set against an engine and compute the metrics the issue asks for.

Metrics: answer accuracy (answerable, price, availability, Pidgin questions whose final reply
contains every expected fact and that were not handed off), invented-amount rate (replies
stating an amount, date or phone number found nowhere in the business's data or the expected
order arithmetic), correct "I don't know" rate (unanswerable questions handed off honestly),
order exactness (conversations ending in exactly the expected order, or none when expected),
handoff precision and recall, and reply latency p50/p99.
"""

from __future__ import annotations

import json
import tempfile
import time
from collections.abc import AsyncIterator, Callable, Iterable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from repdesk.ai.demo import demo_data
from repdesk.ai.engine.base import Engine, EngineContext, KnowledgeSource, Style, Turn
from repdesk.ai.engine.builtin import BuiltinEngine
from repdesk.ai.grounding import Evidence, misattributed, unsupported
from repdesk.ai.memory_source import MemorySource, demo_delivery, demo_products

EVAL_DIR = Path(__file__).parent
DEFAULT_SET = EVAL_DIR / "evalset_v1.json"
ANSWERABLE = ("answerable", "price", "availability", "pidgin")

# The floor the test suite enforces (the targets for the built-in engine).
FLOOR = {
    "answer_accuracy": 0.90,
    "invented_amount_rate": 0.0,
    "idk_rate": 0.90,
    "order_exactness": 0.90,
    "p99_ms": 50.0,
}


@dataclass
class CaseResult:
    id: str
    category: str
    ok: bool
    handed_off: bool
    replies: list[str]
    invented: list[str] = field(default_factory=list)
    detail: str = ""


@dataclass
class Report:
    version: int
    cases: int
    answer_accuracy: float
    invented_amount_rate: float
    idk_rate: float
    order_exactness: float
    handoff_precision: float
    handoff_recall: float
    injection_refusals: float
    p50_ms: float
    p99_ms: float
    replies: int
    failures: list[CaseResult]

    def metrics(self) -> dict[str, Any]:
        return {
            "version": self.version,
            "cases": self.cases,
            "replies": self.replies,
            "answer_accuracy": round(self.answer_accuracy, 4),
            "invented_amount_rate": round(self.invented_amount_rate, 4),
            "idk_rate": round(self.idk_rate, 4),
            "order_exactness": round(self.order_exactness, 4),
            "handoff_precision": round(self.handoff_precision, 4),
            "handoff_recall": round(self.handoff_recall, 4),
            "injection_refusals": round(self.injection_refusals, 4),
            "p50_ms": round(self.p50_ms, 3),
            "p99_ms": round(self.p99_ms, 3),
        }

    def below_floor(self) -> list[str]:
        m = self.metrics()
        out = []
        for key, floor in FLOOR.items():
            if key in ("invented_amount_rate", "p99_ms"):
                if m[key] > floor:
                    out.append(f"{key}={m[key]} > {floor}")
            elif m[key] < floor:
                out.append(f"{key}={m[key]} < {floor}")
        return out


def load_set(path: Path = DEFAULT_SET) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return data


def _percentile(values: list[float], pct: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    k = min(len(ordered) - 1, max(0, round(pct / 100 * (len(ordered) - 1))))
    return ordered[k]


def _base_evidence(data: dict[str, Any]) -> list[str]:
    texts: list[str] = []
    for item in data.get("knowledge", []):
        texts.append(item["content"])
    for item in data.get("faqs", []):
        texts += [item["question"], item["answer"]]
    for item in data.get("policies", []):
        texts.append(item["content"])
    for p in data.get("products", []):
        texts.append(p["name"])
        texts += [v["name"] for v in p.get("variants") or []]
    return texts


def _prices(data: dict[str, Any]) -> list[int]:
    out = []
    for p in demo_products(data):
        out.append(p.price)
        out += [p.variant_price(v) for v in p.variants]
    out += [o.fee for o in demo_delivery(data) if o.fee is not None]
    return out


def _expected_amounts(expect: dict[str, Any], data: dict[str, Any]) -> list[int]:
    order = expect.get("order")
    if not order:
        return []
    products = {p.name: p for p in demo_products(data)}
    amounts = [int(order["total"])]
    subtotal = 0
    for name, variant, qty in order["items"]:
        p = products[name]
        v = next((x for x in p.variants if x.name == variant), None)
        line = p.variant_price(v) * qty
        subtotal += line
        amounts.append(line)
    amounts.append(subtotal)
    return amounts


def _order_matches(action: dict[str, Any] | None, expect: dict[str, Any]) -> bool:
    want_items = expect["order"]["items"]
    if not want_items:
        return action is None
    if action is None:
        return False
    got = sorted((i["name"], i.get("variant"), i["quantity"]) for i in action["items"])
    want = sorted((n, v, q) for n, v, q in want_items)
    return got == want and int(action["total"]) == int(expect["order"]["total"])


SourceFactory = Callable[[], AbstractAsyncContextManager[KnowledgeSource]]


async def run_eval(
    engine: Engine | None = None,
    *,
    path: Path = DEFAULT_SET,
    data: dict[str, Any] | None = None,
    only: Iterable[str] | None = None,
    source_factory: SourceFactory | None = None,
) -> Report:
    """Run the set. By default the demo business is held in memory (``MemorySource``);
    ``source_factory`` gives each case its own source instead (``run_eval_db`` uses the real
    knowledge and catalog services over a database holding the demo business)."""
    evalset = load_set(path)
    data = data or demo_data()
    engine = engine or BuiltinEngine()
    memory = MemorySource.from_demo(data)

    @asynccontextmanager
    async def _memory() -> AsyncIterator[KnowledgeSource]:
        yield memory

    sources = source_factory or _memory
    style = Style.from_profile(data.get("profile"))
    delivery = demo_delivery(data)
    base_texts = _base_evidence(data)
    prices = _prices(data)
    products = demo_products(data)
    fees = [o.fee for o in delivery if o.fee is not None]
    wanted = set(only) if only else None

    latencies: list[float] = []
    results: list[CaseResult] = []
    replies_total = 0
    invented_replies = 0
    for case in evalset["cases"]:
        if wanted and case["category"] not in wanted:
            continue
        expect = case["expect"]
        state: dict[str, Any] = {}
        history: list[Turn] = []
        replies: list[str] = []
        handed_off = False
        created: dict[str, Any] | None = None
        invented: list[str] = []
        evidence = Evidence.build(
            base_texts,
            amounts_minor=[*prices, *_expected_amounts(expect, data)],
            customer_texts=case["turns"],
        )
        last: list[str] = []
        for text in case["turns"]:
            async with sources() as source:
                ctx = EngineContext(
                    business_name=data["business"],
                    channel="widget",
                    text=text,
                    source=source,
                    history=list(history),
                    style=style,
                    delivery=delivery,
                    state=state,
                )
                t0 = time.perf_counter()
                result = await engine.respond(ctx)
                latencies.append((time.perf_counter() - t0) * 1000)
            last = result.replies
            for reply in result.replies:
                replies_total += 1
                bad = unsupported(reply, evidence) + misattributed(reply, products, fees=fees)
                if bad:
                    invented_replies += 1
                    invented += [f.raw for f in bad]
            replies += result.replies
            history.append(Turn("customer", text))
            history += [Turn("business", r) for r in result.replies]
            for action in result.actions:
                if action.type == "escalate":
                    handed_off = True
                if action.type == "create_order":
                    created = action.data
        final = " ".join(last).lower()
        cat = case["category"]
        if cat == "order":
            ok = _order_matches(created, expect)
            detail = json.dumps(created, default=str)[:300] if not ok else ""
        elif cat in ("unanswerable", "handoff"):
            ok = handed_off
            detail = ""
        else:
            facts = [f.lower() for f in expect.get("facts", [])]
            ok = all(f in final for f in facts) and not handed_off
            detail = ""
        results.append(CaseResult(case["id"], cat, ok, handed_off, replies, invented, detail))

    def rate(cats: tuple[str, ...]) -> float:
        rel = [r for r in results if r.category in cats]
        return sum(r.ok for r in rel) / len(rel) if rel else 1.0

    expected_handoff = {r.id for r in results if r.category in ("unanswerable", "handoff")}
    predicted = {r.id for r in results if r.handed_off}
    tp = len(expected_handoff & predicted)
    return Report(
        version=int(evalset.get("version", 1)),
        cases=len(results),
        answer_accuracy=rate(ANSWERABLE),
        invented_amount_rate=invented_replies / replies_total if replies_total else 0.0,
        idk_rate=rate(("unanswerable",)),
        order_exactness=rate(("order",)),
        handoff_precision=tp / len(predicted) if predicted else 1.0,
        handoff_recall=tp / len(expected_handoff) if expected_handoff else 1.0,
        injection_refusals=rate(("injection",)),
        p50_ms=_percentile(latencies, 50),
        p99_ms=_percentile(latencies, 99),
        replies=replies_total,
        failures=[r for r in results if not r.ok or r.invented],
    )


async def run_eval_db(engine: Engine | None = None, *, only: Iterable[str] | None = None) -> Report:
    """The same set against the demo business stored in a fresh SQLite database and read
    through the production path: part A's retrieval (BM25, plus embeddings when the model is
    installed) and catalog service, via ``ai.service.DbSource``."""
    from repdesk.accounts import service as accounts
    from repdesk.ai.demo import load_demo
    from repdesk.ai.service import DbSource
    from repdesk.db.engine import Database
    from repdesk.db.migrate import upgrade_async

    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite+aiosqlite:///{tmp}/eval.db"
        await upgrade_async(url)
        db = Database(url)
        try:
            async with db.transaction() as session:
                _user, ws = await accounts.register(
                    session,
                    email="eval@repdesk.local",
                    password="eval password 123",
                    business_name=demo_data()["business"],
                    verified=True,
                    send_email=False,
                )
                assistant = await load_demo(session, workspace_id=ws.id)
            assistant_id = assistant.id
            # Index as the knowledge.reindex jobs do in production (embeddings stored).
            from repdesk.jobs.worker import Worker

            await Worker(db, concurrency=1).drain()
            # Warm up outside the timings: model load and the first embedding of fresh chunks
            # (the knowledge.reindex job would have done this before a real customer asks).
            async with db.session() as session:
                for q in ("delivery", "price of the dress", "opening hours"):
                    await DbSource(session, assistant_id).search(q)

            @asynccontextmanager
            async def _db_source() -> AsyncIterator[KnowledgeSource]:
                async with db.session() as session:
                    yield DbSource(session, assistant_id)

            return await run_eval(engine, only=only, source_factory=_db_source)
        finally:
            await db.dispose()
