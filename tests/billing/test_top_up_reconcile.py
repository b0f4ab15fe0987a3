"""The periodic reconciliation: pending top-ups that neither the return nor the webhook
completed are verified (credited once when paid), and old unpaid ones marked abandoned."""

from __future__ import annotations

from datetime import timedelta

import httpx
from sqlalchemy import update

from repdesk.billing.models import TopUp
from repdesk.billing.schemas import ReconcileTopUpsJob
from repdesk.billing.tasks import reconcile_top_ups
from repdesk.db.engine import Database
from repdesk.jobs.registry import PERIODIC
from repdesk.kit.time import utcnow
from tests.billing.helpers import balance, purchases, start_top_up, top_up_state
from tests.factories import Account
from tests.fakes.paystack import FakePaystack


async def age(db: Database, reference: str, minutes: int) -> None:
    async with db.transaction() as s:
        await s.execute(
            update(TopUp)
            .where(TopUp.reference == reference)
            .values(created_at=utcnow() - timedelta(minutes=minutes))
        )


async def reconcile(db: Database) -> None:
    async with db.transaction() as s:
        await reconcile_top_ups(s, ReconcileTopUpsJob())


async def test_reconciliation_credits_paid_and_abandons_old_unpaid(
    client: httpx.AsyncClient, owner: Account, paystack: FakePaystack, db: Database
) -> None:
    paid = (await start_top_up(client, 500))["reference"]
    unpaid_old = (await start_top_up(client, 100))["reference"]
    unpaid_recent = (await start_top_up(client, 100))["reference"]
    paid_young = (await start_top_up(client, 100))["reference"]
    paystack.pay(paid)
    paystack.pay(paid_young)
    await age(db, paid, 15)
    await age(db, unpaid_old, 120)
    await age(db, unpaid_recent, 15)
    before = len(paystack.calls("/transaction/verify/"))

    await reconcile(db)
    assert await top_up_state(db, paid) == "success"
    assert await top_up_state(db, unpaid_old) == "abandoned"
    assert await top_up_state(db, unpaid_recent) == "pending"  # may still be paid
    assert await top_up_state(db, paid_young) == "pending"  # the return is still coming
    assert len(paystack.calls("/transaction/verify/")) - before == 3
    assert await balance(client) == 520

    # Again: nothing more is credited; an abandoned one paid late is completed by its webhook.
    await reconcile(db)
    assert await purchases(db, owner.workspace_id) == [(500, f"paystack:{paid}")]
    paystack.pay(unpaid_old)
    r = await client.get(f"/api/billing/top-ups/{unpaid_old}")
    assert r.json()["state"] == "abandoned"  # the status check verifies pending ones only
    r = await client.get("/billing/top-ups/return", params={"reference": unpaid_old})
    assert 'data-state="success"' in r.text
    assert await balance(client) == 620


async def test_reconciliation_survives_paystack_failing_on_one(
    client: httpx.AsyncClient, owner: Account, paystack: FakePaystack, db: Database
) -> None:
    first = (await start_top_up(client, 100))["reference"]
    second = (await start_top_up(client, 200))["reference"]
    for ref in (first, second):
        paystack.pay(ref)
        await age(db, ref, 30)
    await age(db, second, 31)  # reconciled first (oldest first)
    paystack.fail_next("5xx", path_contains="verify")
    await reconcile(db)
    assert await top_up_state(db, second) == "pending"
    assert await top_up_state(db, first) == "success"
    await reconcile(db)
    assert await top_up_state(db, second) == "success"
    assert await balance(client) == 320


def test_reconciliation_is_periodic() -> None:
    assert any(p.kind == "billing.reconcile_top_ups" for p in PERIODIC.values())
