"""A workspace's own Paystack webhook, ``POST /webhooks/paystack/{webhookPath}`` (the
``paystack`` source's verifier hands keyed paths here; ``billing/webhook.py``), and the
``paystack_orders`` provider's handler.

Signed with that workspace's secret key; a ``charge.success`` is stored once per reference in
the workspace that received it. The handler queues ``payments.confirm`` only for references
of that same workspace's payments, and the job verifies with the workspace's key before the
order is paid.
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
    target = await service.webhook_target(session, path) if len(path) <= 64 else None
    if target is None:
        raise NotFound("Unknown webhook.")
    body = await request.body()
    key = service.decrypt_key(target.key_enc) if target.key_enc else None
    if key is None or not signature_ok(key, body, request.headers.get(SIGNATURE_HEADER)):
        raise PaystackSignatureError(
            "x-paystack-signature is missing or does not match this workspace's secret key."
        )
    charge = charge_of(parse_webhook(body))
    if charge is None:
        return Verified(PROVIDER, [])
    reference, amount, currency = charge
    # Whether the reference is one of this workspace's is the handler's check, a query per
    # batch rather than per POST.
    data = {"reference": reference, "amount": amount, "currency": currency}
    return Verified(
        PROVIDER,
        [NewEvent(target.workspace_id, f"{CHARGE_SUCCESS}:{reference}", CHARGE_SUCCESS, data)],
        on_account_gone=lambda: service.forget_webhook_target(path),
    )


async def handle(session: AsyncSession, events: Sequence[ReceivedEvent]) -> None:
    """A ``payments.confirm`` job per charge of a payment of the workspace that received it;
    references of other workspaces, or of nobody, change nothing."""
    charges = [ev for ev in events if ev.kind == CHARGE_SUCCESS]
    if not charges:
        return
    refs = {str(ev.payload["reference"]) for ev in charges}
    rows = await session.execute(
        select(OrderPayment.reference, OrderPayment.workspace_id).where(
            OrderPayment.reference.in_(sorted(refs))
        )
    )
    owners = {str(ref): str(ws) for ref, ws in rows.all()}
    for ev in charges:
        reference = str(ev.payload["reference"])
        if owners.get(reference) != ev.account_id:
            log.info("paystack webhook of workspace %s: not its reference", ev.account_id)
            continue
        await enqueue(
            session,
            ConfirmOrderPaymentJob(
                reference=reference,
                claimed_amount=int(ev.payload["amount"]),
                claimed_currency=str(ev.payload["currency"]),
            ),
        )


def workspace_exists(ref: ColumnElement[str]) -> ColumnElement[str]:
    return select(Workspace.id).where(Workspace.id == ref).scalar_subquery()


register_handler(PROVIDER, handle, account_check=workspace_exists)
