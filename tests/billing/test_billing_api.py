from __future__ import annotations

from datetime import timedelta

import httpx
from sqlalchemy import update

from repdesk.billing import service as billing
from repdesk.billing.models import LedgerEntry
from repdesk.db.engine import Database
from repdesk.kit.time import utcnow
from tests.factories import signed_in


async def test_transactions_filter_by_type_and_date(
    client: httpx.AsyncClient, db: Database
) -> None:
    acct = await signed_in(client, db)
    async with db.transaction() as s:
        await billing.charge(
            s, workspace_id=acct.workspace_id, credits=2, reason="outbound_text", reference="m1"
        )
        await billing.credit(
            s,
            workspace_id=acct.workspace_id,
            credits=100,
            kind="purchase",
            reason="topup",
            reference="p1",
        )
    # Backdate the grant so the date filter has something to exclude.
    async with db.transaction() as s:
        await s.execute(
            update(LedgerEntry)
            .where(LedgerEntry.reason == "signup")
            .values(created_at=utcnow() - timedelta(days=10))
        )

    all_rows = (await client.get("/api/billing/transactions")).json()["data"]
    assert [(r["kind"], r["amount"], r["balanceAfter"]) for r in all_rows] == [
        ("purchase", 100, 118),
        ("usage", -2, 18),
        ("grant", 20, 20),
    ]

    usage = (await client.get("/api/billing/transactions", params={"type": "usage"})).json()["data"]
    assert [r["reference"] for r in usage] == ["m1"]

    today = utcnow().date().isoformat()
    recent = (await client.get("/api/billing/transactions", params={"from": today})).json()["data"]
    assert {r["kind"] for r in recent} == {"purchase", "usage"}

    r = await client.get("/api/billing/transactions", params={"type": "bogus"})
    assert r.status_code == 400 and r.json()["code"] == "VALIDATION_ERROR"
    r = await client.get("/api/billing/transactions", params={"from": "yesterday"})
    assert r.status_code == 400

    page = (await client.get("/billing", params={"type": "usage"})).text
    assert "outbound_text" in page or "text message" in page
    assert "Free credits to get started" not in page
