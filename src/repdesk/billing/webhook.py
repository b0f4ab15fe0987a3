"""Paystack's webhooks for the operator's account, as the inbound intake takes them (ADR 11,
ADR 14): the verifier of ``POST /webhooks/paystack`` and the ``paystack`` provider's handler.

The verifier checks ``x-paystack-signature`` (hex HMAC-SHA512 of the raw body with the
operator's secret key, constant time) and names one event per ``charge.success`` for a top-up
of ours, keyed ``charge.success:{reference}`` within its workspace, so a redelivery is stored
once. Anything else that is correctly signed (another event, a reference we never initialized)
is acknowledged and changes nothing. The handler asks for a verify: it never gives value on
the webhook's word.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from fastapi import Request
from sqlalchemy import ColumnElement, select
from sqlalchemy.ext.asyncio import AsyncSession

from repdesk.accounts.models import Workspace
from repdesk.billing.config import get_paystack_settings
from repdesk.billing.models import TopUp
from repdesk.billing.paystack import (
    SIGNATURE_HEADER,
    PaystackSignatureError,
    charge_of,
    parse_webhook,
    signature_ok,
)
from repdesk.billing.schemas import ConfirmTopUpJob
from repdesk.inbound.registry import (
    NewEvent,
    ReceivedEvent,
    Verified,
    register_handler,
    register_verifier,
)
from repdesk.jobs.service import enqueue
from repdesk.kit.errors import NotFound
from repdesk.kit.web import SessionDep
from repdesk.payments.webhook import verify_workspace_webhook

log = logging.getLogger("repdesk.billing.webhook")

PROVIDER = "paystack"
SOURCE = "paystack"
CHARGE_SUCCESS = "charge.success"


async def verify_paystack_webhook(request: Request, session: SessionDep) -> Verified:
    """``POST /webhooks/paystack`` (the operator's account: credit top-ups) and
    ``POST /webhooks/paystack/{path}`` (a workspace's own account: order payments)."""
    if request.path_params.get("key"):
        return await verify_workspace_webhook(request, session)
    return await verify_operator_webhook(request, session)


async def verify_operator_webhook(request: Request, session: SessionDep) -> Verified:
    """``POST /webhooks/paystack``: the operator's account (credit top-ups)."""
    s = get_paystack_settings()
    if not s.configured:
        raise NotFound("Paystack is not configured on this server.")
    body = await request.body()
    if not signature_ok(s.paystack_secret_key.strip(), body, request.headers.get(SIGNATURE_HEADER)):
        raise PaystackSignatureError(
            "x-paystack-signature is missing or does not match the secret key."
        )
    payload = parse_webhook(body)
    charge = charge_of(payload)
    if charge is None:
        return Verified(PROVIDER, [])
    reference, amount, currency = charge
    workspace_id = await session.scalar(
        select(TopUp.workspace_id).where(TopUp.reference == reference)
    )
    if workspace_id is None:
        log.info("paystack webhook for unknown reference %s ignored", reference[:100])
        return Verified(PROVIDER, [])
    data = {"reference": reference, "amount": amount, "currency": currency}
    return Verified(
        PROVIDER,
        [NewEvent(workspace_id, f"{CHARGE_SUCCESS}:{reference}", CHARGE_SUCCESS, data)],
    )


async def handle(session: AsyncSession, events: Sequence[ReceivedEvent]) -> None:
    """A verify-and-credit job per announced charge (Paystack is called outside the intake's
    batch transaction, and retried with backoff when it is down)."""
    for ev in events:
        if ev.kind != CHARGE_SUCCESS:
            continue
        await enqueue(
            session,
            ConfirmTopUpJob(
                reference=str(ev.payload["reference"]),
                claimed_amount=int(ev.payload["amount"]),
                claimed_currency=str(ev.payload["currency"]),
            ),
        )


def workspace_exists(ref: ColumnElement[str]) -> ColumnElement[str]:
    return select(Workspace.id).where(Workspace.id == ref).scalar_subquery()


register_verifier(SOURCE, verify_paystack_webhook)
register_handler(PROVIDER, handle, account_check=workspace_exists)
