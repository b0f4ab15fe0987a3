"""Paystack's charge.success webhook for top-ups, through the one inbound intake: whichever
of the webhook and the payer's return comes first credits, exactly once per reference, and
only what a verify confirms; a bad signature, an unknown reference, a wrong amount or
currency change nothing."""

from __future__ import annotations

import logging
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select, update

from repdesk.db.engine import Database
from repdesk.events.service import workspace_topic
from repdesk.inbound.models import InboundEvent
from repdesk.jobs.models import Job
from repdesk.jobs.worker import Worker
from repdesk.kit.time import utcnow
from tests.billing.helpers import balance, purchases, start_top_up, top_up_state
from tests.factories import Account
from tests.fakes.paystack import FakePaystack

RETURN = "/billing/top-ups/return"


async def post_webhook(
    client: httpx.AsyncClient, body: bytes, headers: dict[str, str]
) -> httpx.Response:
    return await client.post("/webhooks/paystack", content=body, headers=headers)


async def stored_events(db: Database) -> int:
    async with db.session() as s:
        n = await s.scalar(
            select(func.count())
            .select_from(InboundEvent)
            .where(InboundEvent.provider == "paystack")
        )
        return int(n or 0)


async def paid_top_up(client: httpx.AsyncClient, paystack: FakePaystack, credits: int = 500) -> str:
    ref = (await start_top_up(client, credits))["reference"]
    paystack.pay(ref)
    return ref


async def test_webhook_first_then_return_credits_once(
    client: httpx.AsyncClient, owner: Account, paystack: FakePaystack, db: Database, worker: Worker
) -> None:
    ref = await paid_top_up(client, paystack)
    r = await post_webhook(client, *paystack.webhook(ref))
    assert r.status_code == 200 and r.json() == {"received": 1, "duplicates": 0}
    assert await balance(client) == 20  # acknowledged first, credited by the jobs
    await worker.drain()
    assert await balance(client) == 520
    assert await top_up_state(db, ref) == "success"
    page = await client.get(RETURN, params={"reference": ref, "trxref": ref})
    assert 'data-state="success"' in page.text
    assert await purchases(db, owner.workspace_id) == [(500, f"paystack:{ref}")]
    assert len(paystack.calls("/transaction/verify/")) == 1  # the return saw it done


async def test_return_first_then_webhook_credits_once(
    client: httpx.AsyncClient, owner: Account, paystack: FakePaystack, db: Database, worker: Worker
) -> None:
    ref = await paid_top_up(client, paystack)
    await client.get(RETURN, params={"reference": ref})
    assert await balance(client) == 520
    assert (await post_webhook(client, *paystack.webhook(ref))).status_code == 200
    await worker.drain()
    assert await balance(client) == 520
    assert await purchases(db, owner.workspace_id) == [(500, f"paystack:{ref}")]


async def test_webhook_redelivered_five_times_credits_once(
    client: httpx.AsyncClient, owner: Account, paystack: FakePaystack, db: Database, worker: Worker
) -> None:
    ref = await paid_top_up(client, paystack)
    answers = []
    for i in range(5):
        answers.append((await post_webhook(client, *paystack.webhook(ref))).json())
        if i == 2:
            await worker.drain()
    await worker.drain()
    assert answers[0] == {"received": 1, "duplicates": 0}
    assert all(a == {"received": 0, "duplicates": 1} for a in answers[1:])
    assert await stored_events(db) == 1
    assert await balance(client) == 520
    assert await purchases(db, owner.workspace_id) == [(500, f"paystack:{ref}")]


async def test_wrong_signature_is_refused_and_changes_nothing(
    client: httpx.AsyncClient, owner: Account, paystack: FakePaystack, db: Database, worker: Worker
) -> None:
    ref = await paid_top_up(client, paystack)
    body, headers = paystack.webhook(ref, key="sk_test_someone_else")
    r = await post_webhook(client, body, headers)
    assert r.status_code == 401 and r.json()["code"] == "INVALID_SIGNATURE"
    good_body, good_headers = paystack.webhook(ref)
    tampered = good_body.replace(b'"amount": 500000', b'"amount": 900000')
    assert tampered != good_body
    assert (await post_webhook(client, tampered, good_headers)).status_code == 401
    unsigned = {"content-type": "application/json"}
    assert (await post_webhook(client, good_body, unsigned)).status_code == 401
    assert (
        await post_webhook(client, b"not json", {"x-paystack-signature": "0"})
    ).status_code == 401
    await worker.drain()
    assert await stored_events(db) == 0
    assert await balance(client) == 20 and await top_up_state(db, ref) == "pending"


async def test_unknown_reference_and_other_events_change_nothing(
    client: httpx.AsyncClient, owner: Account, paystack: FakePaystack, db: Database, worker: Worker
) -> None:
    # A transaction on the operator's account that is not one of our top-ups.
    other = httpx.post(
        paystack.url + "/transaction/initialize",
        json={"email": "x@y.z", "amount": 100000, "reference": "not-ours-1"},
        headers={"Authorization": f"Bearer {paystack.secret_key}"},
    )
    assert other.status_code == 200
    paystack.pay("not-ours-1")
    r = await post_webhook(client, *paystack.webhook("not-ours-1"))
    assert r.status_code == 200 and r.json()["received"] == 0
    ref = await paid_top_up(client, paystack)
    body, headers = paystack.webhook(ref)
    transfer = body.replace(b'"charge.success"', b'"transfer.success"')
    from repdesk.billing.paystack import sign

    headers = {**headers, "x-paystack-signature": sign(paystack.secret_key, transfer)}
    assert (await post_webhook(client, transfer, headers)).json()["received"] == 0
    await worker.drain()
    assert await stored_events(db) == 0
    assert await balance(client) == 20


@pytest.mark.parametrize(
    ("paid", "claimed"),
    [
        ({"amount": 400_000}, {"amount": 400_000}),  # paid less than initialized
        ({"currency": "USD"}, {"currency": "USD"}),  # paid in another currency
        ({}, {"amount": 900_000}),  # the webhook and the verify disagree
        ({"reference": "someone-else"}, {}),  # verify answers another transaction
    ],
    ids=["wrong-amount", "wrong-currency", "webhook-disagrees", "wrong-reference"],
)
async def test_mismatch_credits_nothing_and_is_logged(
    client: httpx.AsyncClient,
    owner: Account,
    paystack: FakePaystack,
    db: Database,
    worker: Worker,
    caplog: pytest.LogCaptureFixture,
    paid: dict[str, object],
    claimed: dict[str, object],
) -> None:
    ref = await paid_top_up(client, paystack)
    paystack.verify_overrides[ref] = paid
    assert (await post_webhook(client, *paystack.webhook(ref, **claimed))).status_code == 200
    with caplog.at_level(logging.WARNING, logger="repdesk.billing.topups"):
        await worker.drain()
    assert await top_up_state(db, ref) == "mismatch"
    assert await balance(client) == 20 and await purchases(db, owner.workspace_id) == []
    logged = [r.getMessage() for r in caplog.records if ref in r.getMessage()]
    assert logged and "NOT credited" in logged[0]
    assert paystack.secret_key not in caplog.text
    # Neither the return nor a later verify credits a mismatch.
    paystack.verify_overrides.clear()
    page = await client.get(RETURN, params={"reference": ref})
    assert 'data-state="mismatch"' in page.text
    assert await balance(client) == 20


async def test_verify_saying_failed_overrules_the_webhook(
    client: httpx.AsyncClient, owner: Account, paystack: FakePaystack, db: Database, worker: Worker
) -> None:
    ref = (await start_top_up(client))["reference"]  # never paid
    paystack.verify_overrides[ref] = {"status": "failed"}
    await post_webhook(client, *paystack.webhook(ref))
    await worker.drain()
    assert await top_up_state(db, ref) == "failed" and await balance(client) == 20


async def test_paystack_down_when_the_webhook_job_runs_is_retried(
    client: httpx.AsyncClient, owner: Account, paystack: FakePaystack, db: Database, worker: Worker
) -> None:
    ref = await paid_top_up(client, paystack)
    paystack.fail_next("5xx", path_contains="verify")
    await post_webhook(client, *paystack.webhook(ref))
    await worker.drain()
    assert await balance(client) == 20 and await top_up_state(db, ref) == "pending"
    async with db.transaction() as s:  # the retry's backoff, elapsed
        await s.execute(
            update(Job).where(Job.kind == "billing.confirm_top_up").values(run_at=utcnow())
        )
    await worker.drain()
    assert await balance(client) == 520


@pytest.mark.postgres_only
async def test_return_and_webhook_at_once_credit_once(
    client: httpx.AsyncClient, owner: Account, paystack: FakePaystack, db: Database, worker: Worker
) -> None:
    import asyncio

    for _ in range(5):
        ref = await paid_top_up(client, paystack, credits=100)
        await post_webhook(client, *paystack.webhook(ref))
        pages = asyncio.gather(*(client.get(RETURN, params={"reference": ref}) for _ in range(3)))
        results = await asyncio.gather(pages, worker.drain())
        assert all(p.status_code == 200 for p in results[0])
        assert await top_up_state(db, ref) == "success"
    rows = await purchases(db, owner.workspace_id)
    assert len(rows) == 5 and len({r for _, r in rows}) == 5
    assert await balance(client) == 20 + 5 * 100


async def test_a_credited_top_up_emits_payment_succeeded_once(
    app: Any,
    client: httpx.AsyncClient,
    owner: Account,
    paystack: FakePaystack,
    db: Database,
    worker: Worker,
) -> None:
    ref = await paid_top_up(client, paystack)
    async with app.state.bus.subscribe(workspace_topic(owner.workspace_id)) as sub:
        for _ in range(2):
            await post_webhook(client, *paystack.webhook(ref))
            await worker.drain()
        await client.get(RETURN, params={"reference": ref})
        frames = []
        while not sub.queue.empty():
            frames.append(sub.queue.get_nowait())
    succeeded = [f for f in frames if f["event"] == "payment.succeeded"]
    assert len(succeeded) == 1
    assert succeeded[0]["data"] == {
        "reference": ref, "provider": "paystack", "amount": 500_000, "currency": "NGN",
        "orderId": None, "reason": "top_up",
    }  # fmt: skip
