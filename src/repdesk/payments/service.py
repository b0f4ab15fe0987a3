"""A workspace's Payments settings: its own Paystack secret key (checked against Paystack,
encrypted at rest, told apart as test or live by its prefix), its webhook URL, and the
payment instructions for businesses without Paystack."""

from __future__ import annotations

import re
import secrets
import time
from dataclasses import dataclass
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


@dataclass(frozen=True)
class Target:
    workspace_id: str
    key_enc: str | None


# Webhook path -> (target, when read): Paystack may post a burst of charges to one path; the
# account is read once per TARGET_TTL (a removed account is still refused when its events are
# stored: the provider's account check fails the insert). A new key applies within TARGET_TTL.
_targets: dict[str, tuple[Target, float]] = {}
TARGET_TTL = 5.0


async def webhook_target(session: AsyncSession, path: str) -> Target | None:
    """What a webhook POST to ``path`` needs of its account (cached for TARGET_TTL)."""
    now = time.monotonic()
    cached = _targets.get(path)
    if cached is not None and now - cached[1] < TARGET_TTL:
        return cached[0]
    row = (
        await session.execute(
            select(PaymentAccount.workspace_id, PaymentAccount.paystack_key_enc).where(
                PaymentAccount.webhook_path == path
            )
        )
    ).first()
    if row is None:
        _targets.pop(path, None)
        return None
    if len(_targets) > 10_000:
        _targets.clear()
    target = Target(*row)
    _targets[path] = (target, now)
    return target


def forget_webhook_target(path: str) -> None:
    _targets.pop(path, None)


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
def decrypt_key(token: str) -> str:
    """A stored key's plaintext (cached: the same ciphertext always decrypts alike, and a
    webhook burst asks for it on every POST)."""
    return vault.decrypt(token)


def secret_key(account: PaymentAccount | None) -> str | None:
    """The workspace's Paystack secret key, or None."""
    if account is None or not account.paystack_key_enc:
        return None
    return decrypt_key(account.paystack_key_enc)


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
    forget_webhook_target(account.webhook_path)
    return account
