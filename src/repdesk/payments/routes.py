"""/api/workspace/payments and the order payment routes (/api/orders/{id}/payment-link,
/mark-paid, /refund)."""

from __future__ import annotations

from fastapi import APIRouter

from repdesk.kit.errors import Forbidden
from repdesk.kit.web import PrincipalDep, SessionDep
from repdesk.orders import service as orders
from repdesk.orders.schemas import OrderRead
from repdesk.payments import orders as order_payments
from repdesk.payments import service
from repdesk.payments.schemas import (
    MarkPaid,
    PaymentLinkCreate,
    PaymentLinkRead,
    PaymentsRead,
    PaymentsUpdate,
    RefundCreate,
)

router = APIRouter(tags=["payments"])


def _owner_or_admin(principal: PrincipalDep) -> None:
    if principal.role not in ("owner", "admin"):
        raise Forbidden("Only the workspace's owner or an admin can do this.")


@router.get("/api/workspace/payments", response_model=PaymentsRead)
async def get_payments(session: SessionDep, principal: PrincipalDep) -> PaymentsRead:
    """The workspace's Payments settings (never the key itself)."""
    return service.read(await service.get_account(session, principal.workspace.id))


@router.put("/api/workspace/payments", response_model=PaymentsRead)
async def put_payments(
    body: PaymentsUpdate, session: SessionDep, principal: PrincipalDep
) -> PaymentsRead:
    """Set the business's own Paystack secret key (checked against Paystack, stored
    encrypted; "" removes it) and the payment instructions sent when there is no Paystack.
    Paste ``webhookUrl`` into Paystack's dashboard."""
    _owner_or_admin(principal)
    account = await service.update(
        session,
        workspace_id=principal.workspace.id,
        paystack_secret_key=body.paystack_secret_key,
        instructions=body.instructions,
    )
    return service.read(account)


@router.post("/api/orders/{order_id}/payment-link", response_model=PaymentLinkRead)
async def create_payment_link(
    order_id: str, body: PaymentLinkCreate, session: SessionDep, principal: PrincipalDep
) -> PaymentLinkRead:
    """A Paystack payment link for the order's total, in its currency, on the workspace's own
    account. Asking again returns the same link while it is unpaid and the total unchanged."""
    order = await orders.get_for_workspace(
        session, workspace_id=principal.workspace.id, order_id=order_id
    )
    payment = await order_payments.payment_link(
        session, workspace_id=principal.workspace.id, order=order, email=body.email
    )
    return PaymentLinkRead(
        url=payment.url,
        reference=payment.reference,
        amount=payment.amount,
        currency=payment.currency,
    )


@router.post("/api/orders/{order_id}/mark-paid", response_model=OrderRead)
async def mark_paid(
    order_id: str, body: MarkPaid, session: SessionDep, principal: PrincipalDep
) -> OrderRead:
    """Record a payment received outside Paystack (cash, a transfer), with a note."""
    _owner_or_admin(principal)
    order = await orders.get_for_workspace(
        session, workspace_id=principal.workspace.id, order_id=order_id
    )
    await order_payments.mark_paid(
        session,
        workspace_id=principal.workspace.id,
        order=order,
        by=principal.user.id,
        note=body.note,
    )
    return OrderRead.model_validate(order)


@router.post("/api/orders/{order_id}/refund", response_model=OrderRead)
async def refund(
    order_id: str, body: RefundCreate, session: SessionDep, principal: PrincipalDep
) -> OrderRead:
    """Refund the order's Paystack payment, in full or ``amount`` (minor units)."""
    _owner_or_admin(principal)
    order = await orders.get_for_workspace(
        session, workspace_id=principal.workspace.id, order_id=order_id
    )
    await order_payments.refund(
        session,
        workspace_id=principal.workspace.id,
        order=order,
        by=principal.user.id,
        amount=body.amount,
        note=body.note,
    )
    return OrderRead.model_validate(order)
