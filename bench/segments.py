"""Segments benchmark: the filter builder's live count over a large customer book.

    .venv/bin/python bench/segments.py --backend postgres [--contacts 100000 --messages 1000000
        --orders 50000] [--pg postgresql://postgres@127.0.0.1:5432/wt_segments] [--runs 200]
    .venv/bin/python bench/segments.py --backend sqlite --contacts 20000 --messages 200000 \
        --orders 10000

PostgreSQL: the database named by ``--pg`` is emptied (its ``public`` schema dropped) and
migrated. SQLite: a temporary file. The data is bulk inserted (executemany in batches of
5,000): one assistant, its contacts with their computed attributes consistent with the orders,
one conversation per contact, the messages spread over them, tags on about a third of the
contacts, and orders of catalog products. A second assistant holds 10% more contacts that no
filter may count.

Each measured run is what ``POST /api/assistants/{id}/segments/preview`` does, in a fresh
session: the compile context (assistant, currency, attribute definitions), the count, a sample
of 10 and its tags. ``count`` alone is reported too. Warm: 10 runs first, not measured.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import random
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "src"))

from sqlalchemy import insert, text  # noqa: E402
from sqlalchemy.ext.asyncio import create_async_engine  # noqa: E402
from tests.factories import create_account, create_assistant  # noqa: E402

from bench.common import pct  # noqa: E402
from repdesk.catalog.models import Product  # noqa: E402
from repdesk.contacts.models import Contact, ContactTag  # noqa: E402
from repdesk.conversations.models import Conversation, Message  # noqa: E402
from repdesk.db.base import table_of  # noqa: E402
from repdesk.db.engine import Database  # noqa: E402
from repdesk.db.migrate import upgrade  # noqa: E402
from repdesk.db.models_all import import_all_models  # noqa: E402
from repdesk.kit.ids import new_id  # noqa: E402
from repdesk.orders.models import Order  # noqa: E402
from repdesk.segments import service  # noqa: E402
from repdesk.segments.filters import parse_filter  # noqa: E402

NOW = datetime.now(UTC)
TAGS = ["vip", "lagos", "abuja", "wholesale", "newsletter", "returning", "instagram", "promo"]
FILTERS: dict[str, dict[str, Any]] = {
    # The four-condition live count.
    "four conditions": {
        "all": [
            {"field": "totalSpent", "op": "gt", "value": {"amount": 5_000_000, "currency": "NGN"}},
            {"field": "lastMessageAt", "op": "before", "value": {"ago": {"days": 14}}},
            {"field": "tags", "op": "has", "value": "vip"},
            {"field": "optedOut", "op": "eq", "value": False},
        ]
    },
    "inactive 2 weeks": {
        "all": [{"field": "lastMessageAt", "op": "before", "value": {"ago": {"days": 14}}}]
    },
    "OR group + product + attribute": {
        "all": [
            {
                "any": [
                    {"field": "purchaseBehaviour", "op": "eq", "value": "repeat"},
                    {"field": "engagementScore", "op": "gte", "value": 70},
                ]
            },
            {"field": "orderedProduct", "op": "has", "value": "PRODUCT_0"},
            {"field": "attributes.city", "op": "eq", "value": "Lagos"},
            {"field": "windowOpen", "op": "eq", "value": False},
        ]
    },
}
BATCH = 5000


async def _insert(db: Database, model: Any, rows: list[dict[str, Any]]) -> None:
    table = table_of(model)
    for i in range(0, len(rows), BATCH):
        async with db.engine.begin() as conn:
            await conn.execute(insert(table), rows[i : i + BATCH])


def _when(rng: random.Random, max_days: float) -> datetime:
    return NOW - timedelta(seconds=rng.random() * max_days * 86400)


async def load(db: Database, contacts: int, messages: int, orders: int) -> str:
    rng = random.Random(15)
    _user, ws = await create_account(db, email="bench@shop.test")
    assistant = await create_assistant(db, workspace_id=ws.id, name="Bench")
    other = await create_assistant(db, workspace_id=ws.id, name="Other")
    products = [
        {"id": f"PRODUCT_{i}", "assistant_id": assistant.id, "name": f"Product {i}",
         "description": "", "price": rng.randrange(100_000, 10_000_000), "currency": "NGN",
         "available": True, "images": [], "created_at": NOW}
        for i in range(200)
    ]  # fmt: skip
    await _insert(db, Product, products)

    people: list[dict[str, Any]] = []
    for i in range(contacts + contacts // 10):
        owner = assistant.id if i < contacts else other.id
        last_in = _when(rng, 120) if rng.random() < 0.92 else None
        people.append(
            {
                "id": new_id(), "assistant_id": owner, "phone": f"+234800{i:07d}",
                "name": f"Customer {i}", "tags": [], "created_at": _when(rng, 400),
                "attributes": {"city": rng.choice(["Lagos", "Abuja", "Kano", "Ibadan"])}
                if rng.random() < 0.6 else {},
                "opted_out": rng.random() < 0.05, "message_count": 0, "outbound_count": 0,
                "last_message_at": last_in, "conversations_count": 1, "orders_count": 0,
                "total_spent": 0, "total_paid": 0, "last_order_at": None,
                "budget_range": rng.choice([None, "low", "mid", "high"]),
                "sentiment": rng.choice([None, "positive", "neutral", "negative"]),
                "engagement_score": rng.randrange(0, 101),
            }
        )  # fmt: skip
    mine = people[:contacts]
    order_rows: list[dict[str, Any]] = []
    buyers = rng.sample(mine, min(len(mine), int(orders * 0.6)))
    for n in range(orders):
        c = buyers[n % len(buyers)] if n < len(buyers) else rng.choice(buyers)
        product = rng.choice(products)
        qty = rng.randrange(1, 4)
        total = product["price"] * qty
        when = _when(rng, 365)
        cancelled = rng.random() < 0.05
        order_rows.append(
            {"id": new_id(), "assistant_id": assistant.id, "contact_id": c["id"], "number": n + 1,
             "status": "cancelled" if cancelled else "confirmed", "payment_status": "unpaid",
             "fulfilment_status": "unfulfilled", "test": False, "currency": "NGN",
             "items": [{"productId": product["id"], "name": product["name"], "quantity": qty,
                        "unitPrice": product["price"], "lineTotal": total}],
             "subtotal": total, "delivery_fee": 0, "total": total, "notes": [], "history": [],
             "created_at": when}
        )  # fmt: skip
        if not cancelled:
            c["orders_count"] += 1
            c["total_spent"] += total
            c["last_order_at"] = max(filter(None, [c["last_order_at"], when]))
    conversations = [
        {"id": new_id(), "assistant_id": c["assistant_id"], "contact_id": c["id"],
         "channel": "whatsapp", "status": "open", "automation_enabled": True,
         "needs_human": False, "last_message_preview": "", "unread_count": 0,
         "message_count": 0, "created_at": c["created_at"], "last_message_at": c["last_message_at"]}
        for c in people
    ]  # fmt: skip
    t0 = time.perf_counter()
    await _insert(db, Contact, people)
    await _insert(db, Conversation, conversations)
    tag_rows = [
        {"contact_id": c["id"], "tag": t, "assistant_id": c["assistant_id"]}
        for c in people
        if rng.random() < 0.35
        for t in rng.sample(TAGS, rng.randrange(1, 4))
    ]
    await _insert(db, ContactTag, tag_rows)
    await _insert(db, Order, order_rows)
    conv_of = [(c["id"], c["assistant_id"]) for c in conversations[:contacts]]
    for start in range(0, messages, 50_000):
        batch = []
        for m in range(start, min(messages, start + 50_000)):
            conv_id, owner = conv_of[m % len(conv_of)]
            inbound = m % 2 == 0
            batch.append(
                {"id": new_id(), "assistant_id": owner, "conversation_id": conv_id,
                 "channel": "whatsapp", "direction": "in" if inbound else "out", "type": "text",
                 "text": "How much is the blue dress?", "content": {},
                 "status": "received" if inbound else "sent",
                 "sender": "customer" if inbound else "ai", "credits_charged": 0,
                 "created_at": _when(rng, 120), "external_id": f"wamid.{m}"}
            )  # fmt: skip
        await _insert(db, Message, batch)
    seconds = time.perf_counter() - t0
    print(
        json.dumps(
            {"loaded": {"contacts": len(people), "messages": messages, "orders": orders,
                        "tags": len(tag_rows), "seconds": round(seconds, 1)}}
        ),
        flush=True,
    )  # fmt: skip
    async with db.engine.begin() as conn:
        await conn.execute(text("ANALYZE"))
    return assistant.id


async def measure(db: Database, assistant_id: str, runs: int) -> list[dict[str, Any]]:
    out = []
    for name, raw in FILTERS.items():
        flt = parse_filter(raw)
        previews: list[float] = []
        counts: list[float] = []
        matched = 0
        for i in range(runs + 10):
            t0 = time.perf_counter()
            async with db.session() as s:
                matched, _sample = await service.preview(s, assistant_id=assistant_id, flt=flt)
            t1 = time.perf_counter()
            async with db.session() as s:
                await service.count(s, assistant_id=assistant_id, flt=flt)
            t2 = time.perf_counter()
            if i >= 10:
                previews.append((t1 - t0) * 1000)
                counts.append((t2 - t1) * 1000)
        r = {
            "filter": name, "matched": matched,
            "preview_p50_ms": round(pct(previews, 50), 1), "preview_p99_ms": round(pct(previews, 99), 1),
            "count_p50_ms": round(pct(counts, 50), 1), "count_p99_ms": round(pct(counts, 99), 1),
        }  # fmt: skip
        print(json.dumps(r), flush=True)
        out.append(r)
    return out


async def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--backend", choices=["postgres", "sqlite"], default="postgres")
    ap.add_argument("--pg", default="postgresql://postgres@127.0.0.1:5432/wt_segments")
    ap.add_argument("--contacts", type=int, default=100_000)
    ap.add_argument("--messages", type=int, default=1_000_000)
    ap.add_argument("--orders", type=int, default=50_000)
    ap.add_argument("--runs", type=int, default=200)
    ap.add_argument(
        "--reuse", action="store_true", help="PostgreSQL: measure the data a previous run loaded"
    )
    args = ap.parse_args()
    import_all_models()
    if args.backend == "postgres" and args.reuse:
        db = Database(args.pg.replace("postgresql://", "postgresql+asyncpg://", 1))
        async with db.session() as s:
            found = await s.scalar(text("SELECT id FROM assistants WHERE name = 'Bench'"))
        await measure(db, str(found), args.runs)
        await db.dispose()
        return
    if args.backend == "postgres":
        url = args.pg.replace("postgresql://", "postgresql+asyncpg://", 1)
        eng = create_async_engine(url, isolation_level="AUTOCOMMIT")
        async with eng.connect() as conn:
            await conn.execute(text("DROP SCHEMA public CASCADE"))
            await conn.execute(text("CREATE SCHEMA public"))
        await eng.dispose()
    else:
        url = f"sqlite+aiosqlite:///{tempfile.mkdtemp()}/segments.db"
    upgrade(url)
    db = Database(url)
    try:
        assistant_id = await load(db, args.contacts, args.messages, args.orders)
        await measure(db, assistant_id, args.runs)
    finally:
        await db.dispose()
    load_avg = os.getloadavg()
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} cores, python "
        f"{platform.python_version()}, {args.backend}, load average {load_avg[0]:.1f}, "
        f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC"
    )


if __name__ == "__main__":
    asyncio.run(main())
