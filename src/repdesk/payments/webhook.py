"""A workspace's own Paystack webhook, ``POST /webhooks/paystack/{webhookPath}`` (the
``paystack`` source's verifier hands keyed paths here; ``billing/webhook.py``), and the
``paystack_orders`` provider's handler.

Signed with that workspace's secret key; a ``charge.success`` is stored only for an order
payment of that same workspace, once per reference. Its handler queues ``payments.confirm``,
which verifies with the workspace's key before the order is paid.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from fastapi import Request
from sqlalchemy import ColumnElement, select
from sqlalchemy.ext.asyncio import AsyncSession

from repdesk.accounts.models import Workspace
from repdesk.billing.paystack import (
    SIGNATURE_HEADER,
    PaystackSignatureError,
    charge_of,
    parse_webhook,
    signature_ok,
)
from repdesk.inbound.registry import NewEvent, ReceivedEvent, Verified, register_handler
from repdesk.jobs.service import enqueue
from repdesk.kit.errors import NotFound
from repdesk.payments import service
from repdesk.payments.models import OrderPayment
from repdesk.payments.schemas import ConfirmOrderPaymentJob

log = logging.getLogger("repdesk.payments")

PROVIDER = "paystack_orders"
CHARGE_SUCCESS = "charge.success"


async def verify_workspace_webhook(request: Request, session: AsyncSession) -> Verified:
    path = str(request.path_params.get("key") or "")
    account = await service.get_by_webhook_path(session, path) if len(path) <= 64 else None
    if account is None:
        raise NotFound("Unknown webhook.")
    body = await request.body()
    key = service.secret_key(account)
    if key is None or not signature_ok(key, body, request.headers.get(SIGNATURE_HEADER)):
        raise PaystackSignatureError(
            "x-paystack-signature is missing or does not match this workspace's secret key."
        )
    charge = charge_of(parse_webhook(body))
    if charge is None:
        return Verified(PROVIDER, [])
    reference, amount, currency = charge
    known = await session.scalar(
        select(OrderPayment.id).where(
            OrderPayment.reference == reference,
            OrderPayment.workspace_id == account.workspace_id,
        )
    )
    if known is None:
        log.info("paystack webhook of workspace %s: unknown reference", account.workspace_id)
        return Verified(PROVIDER, [])
    data = {"reference": reference, "amount": amount, "currency": currency}
    return Verified(
        PROVIDER,
        [NewEvent(account.workspace_id, f"{CHARGE_SUCCESS}:{reference}", CHARGE_SUCCESS, data)],
    )


async def handle(session: AsyncSession, events: Sequence[ReceivedEvent]) -> None:
    for ev in events:
        if ev.kind == CHARGE_SUCCESS:
            await enqueue(
                session,
                ConfirmOrderPaymentJob(
                    reference=str(ev.payload["reference"]),
                    claimed_amount=int(ev.payload["amount"]),
                    claimed_currency=str(ev.payload["currency"]),
                ),
            )


def workspace_exists(ref: ColumnElement[str]) -> ColumnElement[str]:
    return select(Workspace.id).where(Workspace.id == ref).scalar_subquery()


register_handler(PROVIDER, handle, account_check=workspace_exists)
