"""Registration never tells whether an address is taken: a taken one gets the same answer
(API and sign-up page) and a "you already have an account" email, and nothing is created."""

from __future__ import annotations

from pathlib import Path

import httpx
from sqlalchemy import func, select

from repdesk.accounts.models import EmailToken, User, Workspace
from repdesk.billing.models import LedgerEntry
from repdesk.config import Settings
from repdesk.db.engine import Database
from repdesk.jobs.worker import Worker
from tests.factories import create_account, outbox_messages
from tests.fakes.smtp import SmtpServer

TAKEN = "taken@shop.test"
NEW = "fresh@shop.test"  # as long as TAKEN: the answers have the same length


async def _register(client: httpx.AsyncClient, email: str) -> httpx.Response:
    return await client.post(
        "/api/auth/register",
        json={"email": email, "password": "another-pass", "businessName": "Intruder Ltd"},
    )


async def _counts(db: Database) -> tuple[int, int, int, int]:
    async with db.session() as session:
        return (
            int(await session.scalar(select(func.count()).select_from(User)) or 0),
            int(await session.scalar(select(func.count()).select_from(Workspace)) or 0),
            int(await session.scalar(select(func.count()).select_from(EmailToken)) or 0),
            int(await session.scalar(select(func.count()).select_from(LedgerEntry)) or 0),
        )


async def test_api_answers_a_taken_address_like_a_new_one_and_emails_its_owner(
    client: httpx.AsyncClient, db: Database, worker: Worker, data_dir: Path
) -> None:
    await create_account(db, email=TAKEN)
    before = await _counts(db)

    taken = await _register(client, "Taken@Shop.test")
    new = await _register(client, NEW)
    assert taken.status_code == new.status_code == 201
    assert taken.json() == {"email": TAKEN, "emailVerified": False}
    assert new.json() == {"email": NEW, "emailVerified": False}
    assert taken.headers.get("content-length") == new.headers.get("content-length")

    # Only the new address got a user, a workspace, a token and its credits.
    users, workspaces, tokens, ledger = await _counts(db)
    assert (users, workspaces, tokens) == (before[0] + 1, before[1] + 1, before[2] + 1)
    assert ledger == before[3] + 1
    async with db.session() as session:
        owner = await session.scalar(select(User).where(User.email == TAKEN))
        assert owner is not None
        assert (
            await session.scalar(select(EmailToken).where(EmailToken.user_id == owner.id)) is None
        )

    await worker.drain()
    mails = {m["to"]: m for m in outbox_messages(data_dir)}
    assert set(mails) == {TAKEN, NEW}
    exists = mails[TAKEN]
    assert exists["subject"] == "You already have a repdesk account"
    assert "http://testserver/login" in exists["body"]
    assert "/verify?token=" not in exists["body"]
    assert "/verify?token=" in mails[NEW]["body"]


async def test_sign_up_page_answers_a_taken_address_like_a_new_one(
    client: httpx.AsyncClient, db: Database, worker: Worker, data_dir: Path
) -> None:
    await create_account(db, email=TAKEN)
    await client.get("/register")
    csrf = client.cookies["repdesk_csrf"]

    async def submit(email: str) -> httpx.Response:
        form = {
            "email": email,
            "password": "another-pass",
            "business_name": "Intruder Ltd",
            "csrf_token": csrf,
        }
        return await client.post("/register", data=form)

    taken, new = await submit(TAKEN), await submit(NEW)
    assert taken.status_code == new.status_code == 200
    assert "Check your email" in taken.text
    assert taken.text.replace(TAKEN, "ADDRESS") == new.text.replace(NEW, "ADDRESS")
    async with db.session() as session:
        n = await session.scalar(select(func.count()).select_from(User).where(User.email == TAKEN))
        assert n == 1
    await worker.drain()
    subjects = {m["to"]: m["subject"] for m in outbox_messages(data_dir)}
    assert subjects[TAKEN] == "You already have a repdesk account"


async def test_account_exists_email_goes_through_smtp(
    client: httpx.AsyncClient, db: Database, worker: Worker, settings: Settings
) -> None:
    await create_account(db, email=TAKEN)
    server = SmtpServer()
    server.start()
    try:
        settings.smtp_host, settings.smtp_port = "127.0.0.1", server.port
        assert (await _register(client, TAKEN)).status_code == 201
        await worker.drain()
    finally:
        server.stop()
    (msg,) = server.messages
    assert msg["To"] == TAKEN and msg["Subject"] == "You already have a repdesk account"
    body = msg.get_payload(decode=True).decode()
    assert "You already have one" in body and "http://testserver/login" in body


async def test_repeated_sign_ups_with_a_taken_address_do_not_flood_its_inbox(
    client: httpx.AsyncClient, db: Database, worker: Worker, data_dir: Path
) -> None:
    await create_account(db, email=TAKEN)
    for _ in range(6):
        assert (await _register(client, TAKEN)).status_code == 201
    await worker.drain()
    assert [m["to"] for m in outbox_messages(data_dir)] == [TAKEN] * 3
