"""Where Paystack sends a customer after paying an order's link: verified, then thanked."""

from __future__ import annotations

import html

from fastapi import APIRouter, Query
from fastapi.responses import HTMLResponse, Response

from repdesk.billing.paystack import PaystackError
from repdesk.kit.web import SessionDep
from repdesk.payments import orders
from repdesk.payments.models import OrderPaymentState

pages = APIRouter(include_in_schema=False)

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
