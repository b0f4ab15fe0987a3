from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import func, select

from repdesk.billing import prices
from repdesk.billing import service as billing
from repdesk.billing.models import LedgerEntry
from repdesk.db.engine import Database
from repdesk.kit.errors import InsufficientCredits
from tests.factories import create_account


async def test_signup_grant_is_the_first_ledger_entry(db: Database) -> None:
    _user, ws = await create_account(db)
    async with db.session() as s:
        entries = (
            await s.scalars(select(LedgerEntry).where(LedgerEntry.workspace_id == ws.id))
        ).all()
    assert [(e.kind, e.amount, e.balance_after) for e in entries] == [("grant", 20, 20)]


async def test_charge_is_idempotent_on_reference(db: Database) -> None:
    _user, ws = await create_account(db)
    async with db.transaction() as s:
        first = await billing.charge(
            s, workspace_id=ws.id, credits=2, reason="outbound_text", reference="msg:1"
        )
    async with db.transaction() as s:
        again = await billing.charge(
            s, workspace_id=ws.id, credits=2, reason="outbound_text", reference="msg:1"
        )
    assert first.created and not again.created
    assert again.entry.id == first.entry.id
    async with db.session() as s:
        assert await billing.balance(s, ws.id) == 18


async def test_charge_refuses_rather_than_go_below_zero(db: Database) -> None:
    _user, ws = await create_account(db)
    async with db.transaction() as s:
        await billing.charge(s, workspace_id=ws.id, credits=19, reason="x", reference="a")
    with pytest.raises(InsufficientCredits):
        async with db.transaction() as s:
            await billing.charge(s, workspace_id=ws.id, credits=2, reason="x", reference="b")
    async with db.session() as s:
        assert await billing.balance(s, ws.id) == 1
        n = await s.scalar(
            select(func.count()).select_from(LedgerEntry).where(LedgerEntry.reference == "b")
        )
        assert n == 0


async def test_refund_returns_a_usage_charge_once(db: Database) -> None:
    _user, ws = await create_account(db)
    async with db.transaction() as s:
        await billing.charge(
            s, workspace_id=ws.id, credits=4, reason="outbound_media", reference="m"
        )
    for _ in range(2):
        async with db.transaction() as s:
            await billing.refund(s, workspace_id=ws.id, reference="m")
    async with db.session() as s:
        assert await billing.balance(s, ws.id) == 20


def test_price_table_matches_the_seed() -> None:
    assert prices.AI_REPLY == 1
    assert prices.outbound_price("text") == 2
    assert prices.outbound_price("interactive") == 2
    assert prices.outbound_price("image") == 4 and prices.outbound_price("document") == 4
    assert prices.outbound_price("template") == 4
    assert prices.INBOUND == 0
    assert prices.MIN_TOPUP_CREDITS == 100


async def test_concurrent_charges_exactly_the_affordable_number_succeed(db: Database) -> None:
    """40 concurrent charges of 3 against 20 credits: exactly 6 succeed, the balance ends at 2,
    and the ledger's balances form one unbroken sequence (on PostgreSQL the charges really
    race: each runs in its own connection and transaction)."""
    _user, ws = await create_account(db)

    async def one(i: int) -> bool:
        try:
            async with db.transaction() as s:
                await billing.charge(
                    s, workspace_id=ws.id, credits=3, reason="x", reference=f"c{i}"
                )
            return True
        except InsufficientCredits:
            return False

    results = await asyncio.gather(*(one(i) for i in range(40)))
    assert sum(results) == 6
    async with db.session() as s:
        assert await billing.balance(s, ws.id) == 2
        rows = (
            await s.scalars(
                select(LedgerEntry)
                .where(LedgerEntry.workspace_id == ws.id)
                .order_by(LedgerEntry.balance_after.desc())
            )
        ).all()
    assert [r.balance_after for r in rows] == [20, 17, 14, 11, 8, 5, 2]
