"""Shared steps of the top-up tests: start one through the API, read balances and ledgers."""

from __future__ import annotations

import httpx
from sqlalchemy import func, select

from repdesk.billing.models import LedgerEntry, TopUp
from repdesk.db.engine import Database


async def start_top_up(
    client: httpx.AsyncClient, credits: int = 500, currency: str = "NGN"
) -> dict[str, str]:
    r = await client.post("/api/billing/top-ups", json={"credits": credits, "currency": currency})
    assert r.status_code == 201, r.text
    return dict(r.json())


async def balance(client: httpx.AsyncClient) -> int:
    return int((await client.get("/api/billing/balance")).json()["credits"])


async def purchases(db: Database, workspace_id: str) -> list[tuple[int, str]]:
    async with db.session() as s:
        rows = await s.execute(
            select(LedgerEntry.amount, LedgerEntry.reference)
            .where(LedgerEntry.workspace_id == workspace_id, LedgerEntry.kind == "purchase")
            .order_by(LedgerEntry.id)
        )
        return [(int(a), str(r)) for a, r in rows]


async def top_up_state(db: Database, reference: str) -> str:
    async with db.session() as s:
        return str(await s.scalar(select(TopUp.state).where(TopUp.reference == reference)))


async def count_top_ups(db: Database) -> int:
    async with db.session() as s:
        return int(await s.scalar(select(func.count()).select_from(TopUp)) or 0)
