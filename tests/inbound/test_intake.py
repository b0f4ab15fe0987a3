"""The inbound intake is provider-neutral: a toy provider (a Paystack-like HMAC-SHA512
signature, its own payloads) is added by registering a verifier and a handler alone, and gets
ADR 6's guarantees: signature checked, stored once by its id, drained in batches, a poison
event set aside, a stuck one swept up, an event for a removed account refused."""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Iterator, Sequence
from typing import Any

import httpx
import pytest
from sqlalchemy import ColumnElement, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.requests import Request

from repdesk.accounts.models import Workspace
from repdesk.db.engine import Database
from repdesk.inbound import registry
from repdesk.inbound import service as intake
from repdesk.inbound import tasks as intake_tasks
from repdesk.inbound.config import reset_inbound_settings
from repdesk.inbound.models import EventState, InboundEvent
from repdesk.inbound.registry import NewEvent, ReceivedEvent, Verified
from repdesk.jobs.models import Job
from repdesk.jobs.worker import Worker
from repdesk.kit.errors import AppError
from tests.factories import create_account

SECRET = "sk_test_toy"
handled: list[str] = []


class ToySignatureError(AppError):
    status = 401
    code = "INVALID_SIGNATURE"


async def verify_toy(request: Request, session: AsyncSession) -> Verified:
    body = await request.body()
    expected = hmac.new(SECRET.encode(), body, hashlib.sha512).hexdigest()
    if not hmac.compare_digest(expected, request.headers.get("x-toy-signature", "")):
        raise ToySignatureError("X-Toy-Signature does not match.")
    payload = json.loads(body)
    account = str(request.path_params.get("key") or "")
    return Verified(
        "toy",
        [
            NewEvent(
                account_id=account,
                external_id=f"{payload['event']}:{payload['data']['id']}",
                kind=payload["event"],
                payload=payload,
            )
        ],
    )


async def handle_toy(session: AsyncSession, events: Sequence[ReceivedEvent]) -> None:
    if any(ev.payload["data"].get("reference") == "poison" for ev in events):
        raise RuntimeError("cannot apply this charge")
    handled.extend(ev.payload["data"]["reference"] for ev in events)


def workspace_exists(ref: ColumnElement[str]) -> ColumnElement[str]:
    return select(Workspace.id).where(Workspace.id == ref).scalar_subquery()


@pytest.fixture(autouse=True)
def toy_provider(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("REPDESK_INGEST_BATCH_MS", "0")
    reset_inbound_settings()
    handled.clear()
    registry.register_verifier("toypay", verify_toy)
    registry.register_handler("toy", handle_toy, account_check=workspace_exists)
    yield
    registry._SOURCES.pop("toypay", None)
    registry._PROVIDERS.pop("toy", None)
    reset_inbound_settings()


def charge(reference: str, charge_id: int) -> dict[str, Any]:
    return {"event": "charge.success", "data": {"id": charge_id, "reference": reference}}


async def post(
    client: httpx.AsyncClient, account: str, payload: Any, *, signature: str | None = None
) -> httpx.Response:
    body = json.dumps(payload).encode()
    sig = signature or hmac.new(SECRET.encode(), body, hashlib.sha512).hexdigest()
    return await client.post(
        f"/webhooks/toypay/{account}", content=body, headers={"x-toy-signature": sig}
    )


async def count(db: Database, *where: Any) -> int:
    async with db.session() as session:
        return int(
            await session.scalar(select(func.count()).select_from(InboundEvent).where(*where)) or 0
        )


def ingest_worker(db: Database) -> Worker:
    return Worker(db, kinds=[intake.INGEST_JOB], poll_interval=0.05)


async def test_a_registered_provider_is_verified_stored_once_and_handled_once(
    db: Database, client: httpx.AsyncClient
) -> None:
    _, ws = await create_account(db)
    first = await post(client, ws.id, charge("ref-1", 1))
    assert first.status_code == 200, first.text
    assert first.json() == {"received": 1, "duplicates": 0}
    again = await post(client, ws.id, charge("ref-1", 1))  # the provider retries
    assert again.json() == {"received": 0, "duplicates": 1}
    assert await count(db) == 1
    await ingest_worker(db).drain()
    assert handled == ["ref-1"]
    assert await count(db, InboundEvent.state == EventState.PROCESSED) == 1
    # A redelivery after processing is still recognised, and handled no second time.
    assert (await post(client, ws.id, charge("ref-1", 1))).json()["duplicates"] == 1
    await ingest_worker(db).drain()
    assert handled == ["ref-1"]


async def test_a_bad_signature_is_refused_and_stores_nothing(
    db: Database, client: httpx.AsyncClient
) -> None:
    _, ws = await create_account(db)
    r = await post(client, ws.id, charge("ref-1", 1), signature="0" * 128)
    assert r.status_code == 401 and r.json()["code"] == "INVALID_SIGNATURE"
    assert await count(db) == 0


async def test_an_event_for_an_account_that_does_not_exist_is_a_404_that_stores_nothing(
    db: Database, client: httpx.AsyncClient
) -> None:
    r = await post(client, "no-such-workspace", charge("ref-1", 1))
    assert r.status_code == 404 and r.json()["code"] == "NOT_FOUND"
    assert await count(db) == 0


async def test_an_unknown_source_is_a_404(client: httpx.AsyncClient) -> None:
    r = await client.post("/webhooks/nobody/x", content=b"{}")
    assert r.status_code == 404


async def test_a_poison_event_is_set_aside_after_max_attempts_without_blocking_others(
    db: Database, client: httpx.AsyncClient
) -> None:
    _, ws = await create_account(db)
    for i, ref in enumerate(["first", "poison", "last"]):
        assert (await post(client, ws.id, charge(ref, i))).json()["received"] == 1
    async with db.transaction() as session:  # one batch for all three
        for job in await session.scalars(select(Job)):
            await session.delete(job)
        await intake_tasks.sweep(session, {})
    worker = ingest_worker(db)
    for attempt in range(1, intake.MAX_ATTEMPTS + 1):
        async with db.transaction() as session:  # make the retry due now
            for job in await session.scalars(select(Job).where(Job.kind == intake.INGEST_JOB)):
                job.run_at = job.created_at
        await worker.drain()
        assert sorted(handled) == ["first", "last"]  # handled at the first attempt, once
        async with db.session() as session:
            bad = await session.scalar(
                select(InboundEvent).where(InboundEvent.external_id == "charge.success:1")
            )
        assert bad is not None and bad.attempts == attempt
        assert "cannot apply this charge" in (bad.last_error or "")
    assert bad.state == EventState.SET_ASIDE and bad.processed_at is not None
    assert await count(db, InboundEvent.state == EventState.PENDING) == 0
    await worker.drain()  # a set-aside event is not retried
    assert sorted(handled) == ["first", "last"]


async def test_the_sweep_recovers_an_event_no_job_was_scheduled_for(
    db: Database, client: httpx.AsyncClient
) -> None:
    _, ws = await create_account(db)
    await post(client, ws.id, charge("stuck", 7))
    async with db.transaction() as session:  # as if its job ran just before this commit
        for job in await session.scalars(select(Job)):
            await session.delete(job)
    assert await ingest_worker(db).drain() == 0 and handled == []
    async with db.transaction() as session:
        await intake_tasks.sweep(session, {})
    await ingest_worker(db).drain()
    assert handled == ["stuck"]


async def test_ids_are_stored_once_per_account_and_once_within_a_post(db: Database) -> None:
    _, ws_a = await create_account(db, email="a@shop.test")
    _, ws_b = await create_account(db, email="b@shop.test")

    def ev(account: str) -> NewEvent:
        return NewEvent(account_id=account, external_id="charge.success:1", kind="k", payload={})

    async with db.transaction() as session:
        stored = await intake.store(session, "toy", [ev(ws_a.id), ev(ws_a.id)], batch_ms=0)
    assert len(stored.new) == 1 and len(stored.duplicates) == 1
    async with db.transaction() as session:  # another account's same id is its own event
        other = await intake.store(session, "toy", [ev(ws_b.id), ev(ws_a.id)], batch_ms=0)
    assert [e.account_id for e in other.new] == [ws_b.id]
    assert [e.account_id for e in other.duplicates] == [ws_a.id]
    assert await count(db) == 2
