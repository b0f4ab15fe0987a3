"""A workspace's Payments settings: its own Paystack secret key (checked against Paystack,
encrypted at rest, told apart as test or live by its prefix), its webhook URL, and the
payment instructions for businesses without Paystack."""

from __future__ import annotations

import re
import secrets
from functools import lru_cache

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from repdesk import vault
from repdesk.billing.paystack import (
    PaystackClient,
    PaystackError,
    PaystackNotConfigured,
    PaystackNotFound,
    PaystackUnavailable,
)
from repdesk.config import get_settings
from repdesk.db.engine import commit_then
from repdesk.kit.errors import ValidationError
from repdesk.payments.models import PaymentAccount, PaystackMode
from repdesk.payments.schemas import PaymentsRead

KEY = re.compile(r"^sk_(test|live)_[A-Za-z0-9]{8,120}$")
WEBHOOK_SOURCE = "paystack"


async def get_account(session: AsyncSession, workspace_id: str) -> PaymentAccount | None:
    return await session.scalar(
        select(PaymentAccount).where(PaymentAccount.workspace_id == workspace_id)
    )


async def get_by_webhook_path(session: AsyncSession, path: str) -> PaymentAccount | None:
    return await session.scalar(select(PaymentAccount).where(PaymentAccount.webhook_path == path))


def webhook_url(account: PaymentAccount) -> str:
    return f"{get_settings().base_url}/webhooks/{WEBHOOK_SOURCE}/{account.webhook_path}"


def read(account: PaymentAccount | None) -> PaymentsRead:
    if account is None:
        return PaymentsRead(paystack_configured=False, mode=None, webhook_url="", instructions="")
    mode = PaystackMode(account.mode) if account.mode else None
    return PaymentsRead(
        paystack_configured=bool(account.paystack_key_enc),
        mode=mode.value if mode else None,
        webhook_url=webhook_url(account),
        instructions=account.instructions or "",
    )


@lru_cache(maxsize=256)
def _decrypt(token: str) -> str:
    return vault.decrypt(token)


def secret_key(account: PaymentAccount | None) -> str | None:
    """The workspace's Paystack secret key, or None."""
    if account is None or not account.paystack_key_enc:
        return None
    return _decrypt(account.paystack_key_enc)


def client_for(account: PaymentAccount | None) -> PaystackClient:
    key = secret_key(account)
    if key is None:
        raise PaystackNotConfigured(
            "This workspace has no Paystack secret key: add it on the Payments settings page."
        )
    return PaystackClient(key)


async def _check_key(session: AsyncSession, key: str) -> None:
    """Ask Paystack whether it knows the key: verifying a reference nobody used answers
    "not found" for a good key and "Invalid key" for a bad one."""
    probe = f"rdkeycheck-{secrets.token_hex(6)}"
    try:
        await commit_then(session, lambda: PaystackClient(key).verify(probe))
    except PaystackNotFound:
        return
    except PaystackUnavailable:
        raise
    except PaystackError as exc:
        raise ValidationError(
            "Paystack refused this secret key. Copy it again from Paystack's dashboard "
            "(Settings → API Keys & Webhooks)."
        ) from exc


async def update(
    session: AsyncSession,
    *,
    workspace_id: str,
    paystack_secret_key: str | None,
    instructions: str | None,
) -> PaymentAccount:
    """Save the settings; a new key is checked against Paystack first."""
    key = paystack_secret_key.strip() if paystack_secret_key is not None else None
    if key:
        if not KEY.match(key):
            raise ValidationError(
                "paystackSecretKey: a Paystack secret key starts with sk_test_ or sk_live_ "
                "(the public pk_ key cannot be used here)."
            )
        await _check_key(session, key)
    account = await get_account(session, workspace_id)
    if account is None:
        account = PaymentAccount(
            workspace_id=workspace_id, webhook_path=secrets.token_urlsafe(24), instructions=""
        )
        session.add(account)
    if key is not None:
        account.paystack_key_enc = vault.encrypt(key) if key else None
        account.mode = (
            (PaystackMode.LIVE if key.startswith("sk_live_") else PaystackMode.TEST)
            if key
            else None
        )
    if instructions is not None:
        account.instructions = instructions.strip()
    await session.flush()
    return account
