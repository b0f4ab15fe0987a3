"""Payments pages: the workspace's Payments settings, an order's payment actions (link, mark
paid, refund), and ``/pay/done``, where Paystack sends a customer after paying a link."""

from __future__ import annotations

import html
from typing import Annotated

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, Response

from repdesk.assistants.deps import PageAssistantDep
from repdesk.billing.paystack import PaystackError
from repdesk.dashboard import nav
from repdesk.dashboard.render import back_on_error, redirect, render
from repdesk.kit.errors import Forbidden
from repdesk.kit.money import parse_money
from repdesk.kit.web import PagePrincipalDep, SessionDep
from repdesk.orders import service as order_service
from repdesk.payments import orders, service
from repdesk.payments.models import OrderPaymentState

pages = APIRouter(include_in_schema=False)
SETTINGS_PATH = "/settings/payments"

MESSAGES = {
    OrderPaymentState.PAID: "Payment received. Thank you! You can go back to the chat.",
    OrderPaymentState.FAILED: "The payment was declined. You can try the link again.",
    OrderPaymentState.MISMATCH: "We received a payment we could not match to your order; "
    "the business will contact you.",
}


@pages.get("/pay/done")
async def payment_done(
    session: SessionDep,
    reference: str = Query(default="", max_length=100),
    trxref: str = Query(default="", max_length=100),
) -> Response:
    ref = reference or trxref
    payment = None
    try:
        payment = await orders.confirm(session, ref, source="return") if ref else None
    except PaystackError:
        payment = None
    text = (
        MESSAGES.get(OrderPaymentState(payment.state), "")
        if payment is not None
        else "We could not find this payment."
    ) or "We are waiting for Paystack to confirm your payment."
    state = payment.state if payment is not None else "unknown"
    body = (
        "<!doctype html><html><head><meta charset='utf-8'><title>Payment</title></head><body>"
        f"<main data-state='{html.escape(state)}'><h1>{html.escape(text)}</h1></main>"
        "</body></html>"
    )
    return HTMLResponse(body)


# -- the dashboard: Payments settings and an order's payment actions ------------------------

nav.add_main("Payments", SETTINGS_PATH, 93)


@pages.get(SETTINGS_PATH)
async def settings_page(
    request: Request, session: SessionDep, principal: PagePrincipalDep
) -> Response:
    account = await service.get_account(session, principal.workspace.id)
    ctx = {
        "payments": service.read(account),
        "can_edit": principal.role in ("owner", "admin"),
    }
    return render(request, "payments/settings.html", ctx)


@pages.post(SETTINGS_PATH)
async def settings_submit(
    request: Request,
    session: SessionDep,
    principal: PagePrincipalDep,
    paystack_secret_key: Annotated[str, Form(max_length=200)] = "",
    remove_key: Annotated[str, Form()] = "",
    instructions: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    back_on_error(request, SETTINGS_PATH)
    if principal.role not in ("owner", "admin"):
        raise Forbidden("Only the workspace's owner or an admin can change payments.")
    key = "" if remove_key else (paystack_secret_key.strip() or None)
    await service.update(
        session,
        workspace_id=principal.workspace.id,
        paystack_secret_key=key,
        instructions=instructions,
    )
    return redirect(SETTINGS_PATH, flash="Payments settings saved.")


def _order_url(assistant_id: str, order_id: str) -> str:
    return f"/assistants/{assistant_id}/orders/{order_id}"


@pages.post("/assistants/{assistant_id}/orders/{order_id}/payment-link")
async def link_submit(
    assistant: PageAssistantDep,
    order_id: str,
    request: Request,
    session: SessionDep,
    principal: PagePrincipalDep,
    email: Annotated[str, Form(max_length=320)] = "",
) -> Response:
    url = _order_url(assistant.id, order_id)
    back_on_error(request, url)
    order = await order_service.get_for_workspace(
        session, workspace_id=principal.workspace.id, order_id=order_id
    )
    payment = await orders.payment_link(
        session, workspace_id=principal.workspace.id, order=order, email=email or None
    )
    return redirect(url, flash=f"Payment link ready: {payment.url}")


@pages.post("/assistants/{assistant_id}/orders/{order_id}/mark-paid")
async def mark_paid_submit(
    assistant: PageAssistantDep,
    order_id: str,
    request: Request,
    session: SessionDep,
    principal: PagePrincipalDep,
    note: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    url = _order_url(assistant.id, order_id)
    back_on_error(request, url)
    if principal.role not in ("owner", "admin"):
        raise Forbidden("Only the workspace's owner or an admin can mark an order paid.")
    order = await order_service.get_for_workspace(
        session, workspace_id=principal.workspace.id, order_id=order_id
    )
    await orders.mark_paid(
        session, workspace_id=principal.workspace.id, order=order, by=principal.user.id,
        note=note or None,
    )  # fmt: skip
    return redirect(url, flash="Marked paid.")


@pages.post("/assistants/{assistant_id}/orders/{order_id}/refund")
async def refund_submit(
    assistant: PageAssistantDep,
    order_id: str,
    request: Request,
    session: SessionDep,
    principal: PagePrincipalDep,
    amount: Annotated[str, Form(max_length=40)] = "",
    note: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    url = _order_url(assistant.id, order_id)
    back_on_error(request, url)
    if principal.role not in ("owner", "admin"):
        raise Forbidden("Only the workspace's owner or an admin can refund.")
    order = await order_service.get_for_workspace(
        session, workspace_id=principal.workspace.id, order_id=order_id
    )
    minor = parse_money(amount, order.currency, "amount") if amount.strip() else None
    await orders.refund(
        session, workspace_id=principal.workspace.id, order=order, by=principal.user.id,
        amount=minor, note=note or None,
    )  # fmt: skip
    return redirect(url, flash="Refund sent to Paystack.")
