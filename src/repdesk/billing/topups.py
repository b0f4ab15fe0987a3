"""Credit top-ups through the operator's Paystack account.

``start`` prices the credits, initializes a Paystack transaction under a reference of ours and
records it. :func:`confirm` is the one way a top-up is completed, whichever of the payer's
return, the ``charge.success`` webhook or the reconciliation gets there first: it asks Paystack
(``GET /transaction/verify/:reference``) and credits only when the verified transaction is a
success for exactly the reference, amount and currency that were initialized (and, when a
webhook claimed a charge, that the claim agrees). Crediting is the ledger's idempotent purchase
entry keyed by the reference, so a reference is credited once however often it is confirmed.
Anything that disagrees credits nothing, marks the top-up ``mismatch`` and is logged for the
operator.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from repdesk.billing import prices
from repdesk.billing import service as ledger
from repdesk.billing.config import get_paystack_settings
from repdesk.billing.models import TopUp, TopUpState
from repdesk.billing.paystack import (
    PaystackClient,
    PaystackNotFound,
    Transaction,
    operator_client,
)
from repdesk.config import get_settings
from repdesk.db.engine import commit_then
from repdesk.events.service import emit
from repdesk.events.types import Event, PaymentData
from repdesk.kit.errors import NotFound, ValidationError
from repdesk.kit.ids import new_id
from repdesk.kit.money import format_money
from repdesk.kit.time import ensure_utc, utcnow

log = logging.getLogger("repdesk.billing.topups")

PROVIDER = "paystack"
REASON = "top_up"
# States a later verify may still change (a declined payer can retry on the same page; an
# abandoned checkout can still be paid, and Paystack's webhook then completes it).
OPEN_STATES = (TopUpState.PENDING, TopUpState.FAILED, TopUpState.ABANDONED)
STILL_RUNNING = ("ongoing", "pending", "processing", "queued", "abandoned")
RETURN_PATH = "/billing/top-ups/return"


@dataclass(frozen=True)
class Claim:
    """What a ``charge.success`` webhook said was paid (checked against the verify)."""

    amount: int
    currency: str


def ledger_reference(reference: str) -> str:
    return f"paystack:{reference}"


def offered_currencies() -> list[str]:
    """What the owner may choose: the configured charge currencies, and the currencies
    charged the USD equivalent when USD is one of them."""
    charged = [c for c in get_paystack_settings().currencies if c in prices.CHARGE_CURRENCIES]
    return charged + (list(prices.USD_EQUIVALENT) if "USD" in charged else [])


def price(credits: int, currency: str) -> tuple[str, int]:
    """(charge currency, amount in its minor units) for ``credits`` chosen in ``currency``;
    ValidationError for an amount or currency that is not offered."""
    if isinstance(credits, bool) or not isinstance(credits, int):
        raise ValidationError("credits must be a whole number.")
    if credits < prices.MIN_TOPUP_CREDITS:
        raise ValidationError(f"The minimum top-up is {prices.MIN_TOPUP_CREDITS} credits.")
    if credits > prices.MAX_TOPUP_CREDITS:
        raise ValidationError(f"A top-up is at most {prices.MAX_TOPUP_CREDITS:,} credits.")
    code = (currency or "").strip().upper()
    offered = offered_currencies()
    if code not in offered:
        raise ValidationError(f"currency must be one of {', '.join(offered) or 'none'}.")
    charged = prices.charge_currency(code)
    return charged, prices.topup_amount(credits, charged)


async def start(
    session: AsyncSession,
    *,
    workspace_id: str,
    email: str,
    credits: int,
    currency: str,
    client: PaystackClient | None = None,
) -> TopUp:
    """Initialize a Paystack transaction for ``credits`` and record it as pending."""
    charged, amount = price(credits, currency)
    paystack = client or operator_client()
    reference = f"rdtu-{new_id()}"
    base_url = get_settings().base_url
    init = await commit_then(  # no transaction held while Paystack answers
        session,
        lambda: paystack.initialize(
            email=email,
            amount=amount,
            currency=charged,
            reference=reference,
            callback_url=base_url + RETURN_PATH,
            metadata={
                "workspace_id": workspace_id,
                "credits": credits,
                "purpose": "credit_top_up",
                "cancel_action": base_url + "/billing",
            },
        ),
    )
    top_up = TopUp(
        workspace_id=workspace_id,
        reference=reference,
        credits=credits,
        amount=amount,
        currency=charged,
        display_currency=currency.strip().upper(),
        state=TopUpState.PENDING,
        email=email,
        authorization_url=init.authorization_url[:500],
        access_code=init.access_code[:100],
    )
    session.add(top_up)
    await session.flush()
    return top_up


async def get(session: AsyncSession, reference: str) -> TopUp | None:
    return await session.scalar(select(TopUp).where(TopUp.reference == reference))


async def get_for_workspace_or_404(
    session: AsyncSession, *, workspace_id: str, reference: str
) -> TopUp:
    top_up = await get(session, reference)
    if top_up is None or top_up.workspace_id != workspace_id:
        raise NotFound("Top-up not found.")
    return top_up


async def recent(session: AsyncSession, workspace_id: str, *, limit: int = 20) -> list[TopUp]:
    return list(
        await session.scalars(
            select(TopUp)
            .where(TopUp.workspace_id == workspace_id)
            .order_by(TopUp.created_at.desc(), TopUp.id.desc())
            .limit(limit)
        )
    )


async def confirm(
    session: AsyncSession,
    reference: str,
    *,
    source: str,
    claim: Claim | None = None,
    give_up_after: timedelta | None = None,
    client: PaystackClient | None = None,
) -> TopUp | None:
    """Verify ``reference`` with Paystack and complete its top-up: credit it (once) when the
    verified transaction is what was initialized, mark it failed, mismatch or (older than
    ``give_up_after``) abandoned. None for a reference that is not a top-up of ours. Raises
    PaystackUnavailable when Paystack cannot answer now (the caller retries later)."""
    top_up = await get(session, reference)
    if top_up is None or top_up.state not in OPEN_STATES:
        return top_up
    paystack = client or operator_client()
    try:
        # Committed first: no lock (on SQLite, the write lock) is held while Paystack answers.
        verified = await commit_then(session, lambda: paystack.verify(reference))
    except PaystackNotFound:
        log.warning("top-up %s: Paystack knows no such transaction (%s)", reference, source)
        return top_up
    # Lock the row (PostgreSQL) and read it again: the return and the webhook may race.
    top_up = await session.scalar(
        select(TopUp)
        .where(TopUp.id == top_up.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    if top_up is None or top_up.state not in OPEN_STATES:
        return top_up
    await _apply(session, top_up, verified, source=source, claim=claim, give_up=give_up_after)
    return top_up


def _disagreement(top_up: TopUp, tx: Transaction, claim: Claim | None) -> str | None:
    expected = f"{top_up.amount} {top_up.currency}"
    if tx.reference != top_up.reference:
        return f"verify answered reference {tx.reference[:40]!r}"
    if tx.amount != top_up.amount or tx.currency != top_up.currency:
        return f"verified {tx.amount} {tx.currency}, expected {expected}"
    if claim is not None and (claim.amount, claim.currency) != (tx.amount, tx.currency):
        return f"webhook claimed {claim.amount} {claim.currency[:3]}, verified {expected}"
    return None


async def _apply(
    session: AsyncSession,
    top_up: TopUp,
    tx: Transaction,
    *,
    source: str,
    claim: Claim | None,
    give_up: timedelta | None,
) -> None:
    top_up.paystack_status = tx.status[:20]
    top_up.paystack_id = tx.id
    top_up.channel = (tx.channel or "")[:30] or None
    if tx.status == "success":
        problem = _disagreement(top_up, tx, claim)
        if problem is not None:
            top_up.state = TopUpState.MISMATCH
            top_up.problem = problem[:300]
            await session.flush()
            # For the operator: the reference and amounts only (no keys, no card details).
            log.warning(
                "top-up %s of workspace %s NOT credited (%s): %s",
                top_up.reference,
                top_up.workspace_id,
                source,
                problem,
            )
            await _emit(session, top_up, Event.PAYMENT_FAILED, reason="mismatch")
            return
        entry = await ledger.credit(
            session,
            workspace_id=top_up.workspace_id,
            credits=top_up.credits,
            kind="purchase",
            reason=REASON,
            reference=ledger_reference(top_up.reference),
            description=(
                f"{top_up.credits:,} credits, {format_money(top_up.amount, top_up.currency)}"
                f" via Paystack ({top_up.reference})"
            ),
        )
        top_up.state = TopUpState.SUCCESS
        top_up.paid_at = utcnow()
        top_up.problem = None
        await session.flush()
        if entry.created:
            log.info("top-up %s credited %d (%s)", top_up.reference, top_up.credits, source)
            await _emit(session, top_up, Event.PAYMENT_SUCCEEDED, reason=REASON)
        return
    if tx.status == "failed":
        top_up.state = TopUpState.FAILED
        top_up.problem = (tx.gateway_response or "Declined")[:300]
    elif tx.status in STILL_RUNNING:
        old = give_up is not None and ensure_utc(top_up.created_at) < utcnow() - give_up
        if old:
            top_up.state = TopUpState.ABANDONED
    await session.flush()


async def _emit(session: AsyncSession, top_up: TopUp, event: Event, *, reason: str) -> None:
    await emit(
        session,
        event,
        PaymentData(
            reference=top_up.reference,
            provider=PROVIDER,
            amount=top_up.amount,
            currency=top_up.currency,
            order_id=None,
            reason=reason,
        ),
        workspace_id=top_up.workspace_id,
    )


async def due_for_reconciliation(session: AsyncSession, *, limit: int = 100) -> list[str]:
    """References of pending top-ups old enough that neither the return nor the webhook is
    coming (oldest first)."""
    s = get_paystack_settings()
    cutoff = utcnow() - timedelta(minutes=s.paystack_reconcile_after_minutes)
    return list(
        await session.scalars(
            select(TopUp.reference)
            .where(TopUp.state == TopUpState.PENDING, TopUp.created_at < cutoff)
            .order_by(TopUp.created_at)
            .limit(limit)
        )
    )
