"""Payments of orders on the workspace's own Paystack account.

A payment link initializes a transaction for the order's total in its currency (metadata: the
order). :func:`confirm` is the one way an order becomes paid by Paystack, from the workspace's
webhook job: it verifies with the workspace's key and marks the order paid only when the
verified transaction is the reference, amount and currency initialized (and agrees with what
the webhook claimed); then the customer is told in the order's conversation and
``payment.succeeded`` and ``order.paid`` are emitted, once. A disagreement marks the order
``mismatch`` for a person. Owners can also mark an order paid by hand and refund through
Paystack.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from repdesk.ai.models import EngineState
from repdesk.assistants.models import Assistant
from repdesk.billing.paystack import PaystackNotFound
from repdesk.config import get_settings
from repdesk.contacts.models import Contact
from repdesk.conversations import service as conversations
from repdesk.db.engine import commit_then
from repdesk.events.service import emit
from repdesk.events.types import Event, PaymentData
from repdesk.kit.errors import AppError, Conflict, ValidationError
from repdesk.kit.ids import new_id
from repdesk.kit.money import format_money
from repdesk.kit.time import utcnow
from repdesk.orders import service as orders
from repdesk.orders.models import Order, PaymentStatus
from repdesk.payments import service as accounts
from repdesk.payments.models import OrderPayment, OrderPaymentState

log = logging.getLogger("repdesk.payments")

PROVIDER = "paystack"
BY = "paystack"


@dataclass(frozen=True)
class Claim:
    amount: int
    currency: str


def _email_ok(email: str) -> bool:
    local, _, domain = email.partition("@")
    return bool(local) and "." in domain and " " not in email and len(email) <= 320


async def _contact_email(session: AsyncSession, order: Order) -> str | None:
    if not order.contact_id:
        return None
    email = await session.scalar(select(Contact.email).where(Contact.id == order.contact_id))
    return email or None


async def latest(session: AsyncSession, order_id: str) -> OrderPayment | None:
    return await session.scalar(
        select(OrderPayment)
        .where(OrderPayment.order_id == order_id)
        .order_by(OrderPayment.created_at.desc(), OrderPayment.id.desc())
        .limit(1)
    )


async def payment_link(
    session: AsyncSession, *, workspace_id: str, order: Order, email: str | None = None
) -> OrderPayment:
    """The order's payment link: the unpaid one already sent for this total, or a new one."""
    if order.payment_status in (PaymentStatus.PAID, PaymentStatus.REFUNDED):
        raise Conflict(f"Order #{order.number} is {order.payment_status} already.")
    if order.total <= 0:
        raise ValidationError("This order has nothing to pay.")
    account = await accounts.get_account(session, workspace_id)
    client = accounts.client_for(account)
    prior = await latest(session, order.id)
    if (
        prior is not None
        and prior.state in (OrderPaymentState.PENDING, OrderPaymentState.FAILED)
        and (prior.amount, prior.currency) == (order.total, order.currency)
    ):
        return prior  # "send me the link again"
    address = (
        (email or "").strip()
        or (prior.email if prior is not None else None)
        or await _contact_email(session, order)
    )
    if not address or not _email_ok(address):
        raise ValidationError("email: Paystack needs the customer's email address for a link.")
    reference = f"rdop-{new_id()}"
    base_url = get_settings().base_url
    init = await commit_then(
        session,
        lambda: client.initialize(
            email=address,
            amount=order.total,
            currency=order.currency,
            reference=reference,
            callback_url=f"{base_url}/pay/done",
            metadata={"order_id": order.id, "order_number": order.number},
        ),
    )
    if prior is not None and prior.state == OrderPaymentState.PENDING:
        prior.state = OrderPaymentState.SUPERSEDED
    payment = OrderPayment(
        workspace_id=workspace_id,
        order_id=order.id,
        reference=reference,
        amount=order.total,
        currency=order.currency,
        email=address,
        url=init.authorization_url[:500],
        state=OrderPaymentState.PENDING,
    )
    session.add(payment)
    await session.flush()
    if order.payment_status != PaymentStatus.PENDING:
        await orders.update(session, order, by=BY, payment_status=PaymentStatus.PENDING)
    return payment


def _disagreement(payment: OrderPayment, amount: int, currency: str, ref: str) -> str | None:
    if ref != payment.reference:
        return f"verify answered reference {ref[:40]!r}"
    if (amount, currency) != (payment.amount, payment.currency):
        return f"paid {amount} {currency[:3]}, the order is {payment.amount} {payment.currency}"
    return None


async def confirm(
    session: AsyncSession, reference: str, *, source: str, claim: Claim | None = None
) -> OrderPayment | None:
    """Verify ``reference`` with its workspace's key and apply the result to its order.
    None for a reference that is not an order payment of ours."""
    payment = await session.scalar(select(OrderPayment).where(OrderPayment.reference == reference))
    if payment is None or payment.state in (OrderPaymentState.PAID, OrderPaymentState.MISMATCH):
        return payment
    client = accounts.client_for(await accounts.get_account(session, payment.workspace_id))
    try:
        tx = await commit_then(session, lambda: client.verify(reference))
    except PaystackNotFound:
        log.warning("order payment %s: Paystack knows no such transaction", reference)
        return payment
    payment = await session.scalar(
        select(OrderPayment)
        .where(OrderPayment.id == payment.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    if payment is None or payment.state in (OrderPaymentState.PAID, OrderPaymentState.MISMATCH):
        return payment
    order = await session.get(Order, payment.order_id, populate_existing=True)
    if order is None:
        return payment
    payment.paystack_id = tx.id
    if tx.status == "failed":
        payment.state = OrderPaymentState.FAILED
        payment.problem = (tx.gateway_response or "Declined")[:300]
        await session.flush()
        return payment
    if tx.status != "success":
        return payment
    problem = _disagreement(payment, tx.amount, tx.currency, tx.reference)
    if problem is None and (
        payment.state == OrderPaymentState.SUPERSEDED
        or (payment.amount, payment.currency) != (order.total, order.currency)
    ):
        problem = (
            f"paid a replaced link of {payment.amount} {payment.currency}, the order is now "
            f"{order.total} {order.currency}"
        )
    if (
        problem is None
        and claim is not None
        and (claim.amount, claim.currency)
        != (
            tx.amount,
            tx.currency,
        )
    ):
        problem = f"webhook claimed {claim.amount} {claim.currency[:3]}, verified otherwise"
    if problem is not None:
        payment.state = OrderPaymentState.MISMATCH
        payment.problem = problem[:300]
        log.warning("order payment %s of order %s NOT applied (%s): %s", reference, order.id,
                    source, problem)  # fmt: skip
        await orders.update(
            session, order, by=BY, payment_status=PaymentStatus.MISMATCH,
            note=f"Paystack payment {reference} does not match the order: {problem}.",
        )  # fmt: skip
        await _emit_payment(session, order, payment, Event.PAYMENT_FAILED, reason="mismatch")
        return payment
    payment.state = OrderPaymentState.PAID
    payment.paid_at = utcnow()
    await session.flush()
    await orders.update(session, order, by=BY, payment_status=PaymentStatus.PAID)
    await _emit_payment(session, order, payment, Event.PAYMENT_SUCCEEDED)
    await _emit_order_paid(session, order)
    await _tell_customer(
        session,
        order,
        f"Payment of {format_money(payment.amount, payment.currency)} received for order "
        f"#{order.number}. Thank you!",
        key=f"paid:{reference}",
    )
    return payment


async def _assistant(session: AsyncSession, order: Order) -> Assistant | None:
    return await session.get(Assistant, order.assistant_id)


async def _emit_payment(
    session: AsyncSession,
    order: Order,
    payment: OrderPayment,
    event: Event,
    *,
    reason: str | None = None,
) -> None:
    await emit(
        session,
        event,
        PaymentData(
            reference=payment.reference,
            provider=PROVIDER,
            amount=payment.amount,
            currency=payment.currency,
            order_id=order.id,
            reason=reason,
        ),
        workspace_id=payment.workspace_id,
        assistant_id=order.assistant_id,
    )


async def _emit_order_paid(session: AsyncSession, order: Order) -> None:
    assistant = await _assistant(session, order)
    if assistant is not None and not order.test:
        await emit(
            session,
            Event.ORDER_PAID,
            orders.order_data(order),
            workspace_id=assistant.workspace_id,
            assistant_id=assistant.id,
        )


async def _tell_customer(
    session: AsyncSession, order: Order, text: str, *, key: str, origin_ai: bool = False
) -> None:
    """Say ``text`` in the order's conversation; the payment stands if it cannot be sent. A
    payment confirmation is the platform's notice (never charged); an offer is the
    assistant's message."""
    assistant = await _assistant(session, order)
    if assistant is None or not order.conversation_id:
        return
    try:
        async with session.begin_nested():
            await conversations.send(
                session,
                assistant=assistant,
                to=conversations.Recipient(conversation_id=order.conversation_id),
                content=conversations.MessageContent.of_text(text),
                origin=conversations.Origin.AI if origin_ai else conversations.Origin.SYSTEM,
                idempotency_key=key[:100],
            )
    except AppError as exc:
        log.warning("order %s paid, but the customer could not be told: %s", order.id, exc)


async def mark_paid(
    session: AsyncSession, *, workspace_id: str, order: Order, by: str, note: str | None
) -> Order:
    """An owner records a payment made outside Paystack (cash, a transfer)."""
    if order.payment_status == PaymentStatus.PAID:
        raise Conflict(f"Order #{order.number} is paid already.")
    text = f"Marked paid by hand{': ' + note.strip() if note and note.strip() else ''}."
    await orders.update(session, order, by=by, payment_status=PaymentStatus.PAID, note=text)
    await _emit_order_paid(session, order)
    return order


async def refund(
    session: AsyncSession,
    *,
    workspace_id: str,
    order: Order,
    by: str,
    amount: int | None,
    note: str | None,
) -> Order:
    """Refund the order's verified Paystack payment (in full, or ``amount``)."""
    payment = await session.scalar(
        select(OrderPayment)
        .where(OrderPayment.order_id == order.id, OrderPayment.state == OrderPaymentState.PAID)
        .order_by(OrderPayment.created_at.desc())
        .limit(1)
    )
    if payment is None:
        raise Conflict("This order has no Paystack payment to refund.")
    left = payment.amount - payment.refunded
    value = left if amount is None else amount
    if value <= 0 or value > left:
        raise ValidationError(
            f"amount: at most {format_money(left, payment.currency)} is left to refund."
        )
    client = accounts.client_for(await accounts.get_account(session, workspace_id))
    reference = payment.reference
    done = await commit_then(session, lambda: client.refund(transaction=reference, amount=value))
    payment.refunded += value
    status = (
        PaymentStatus.REFUNDED if payment.refunded >= payment.amount
        else PaymentStatus.PARTIALLY_REFUNDED
    )  # fmt: skip
    text = (
        f"Refunded {format_money(value, payment.currency)} through Paystack "
        f"({done.status or 'queued'})" + (f": {note.strip()}" if note and note.strip() else ".")
    )
    await session.flush()
    await orders.update(session, order, by=by, payment_status=status, note=text)
    return order


async def _asking_email(session: AsyncSession, order: Order) -> bool:
    """Whether the conversation's assistant is asking the customer for an email address."""
    if not order.conversation_id:
        return False
    state = await session.scalar(
        select(EngineState.state).where(EngineState.key == f"conv:{order.conversation_id}")
    )
    asking = (state or {}).get("payment")
    return isinstance(asking, dict) and asking.get("awaiting") == "email"


async def offer(session: AsyncSession, order_id: str) -> str | None:
    """Offer a new order's payment in its conversation: the Paystack link when the workspace
    has Paystack and the customer's email is known; nothing while the assistant asks for
    the email (``payments.assist`` follows); else the workspace's payment instructions, else
    nothing. The amount said is the order's own. Returns what was sent."""
    order = await session.get(Order, order_id)
    assistant = await _assistant(session, order) if order is not None else None
    if order is None or assistant is None or order.payment_status != PaymentStatus.UNPAID:
        return None
    account = await accounts.get_account(session, assistant.workspace_id)
    amount = format_money(order.total, order.currency)
    text: str | None = None
    if accounts.secret_key(account) and await _contact_email(session, order):
        payment = await payment_link(session, workspace_id=assistant.workspace_id, order=order)
        text = (
            f"To pay {amount} for order #{order.number}, use this secure Paystack link: "
            f"{payment.url}"
        )
    elif accounts.secret_key(account) and await _asking_email(session, order):
        return None  # the assistant asked for an email: the link (or instructions) follow
    elif account is not None and account.instructions:
        text = f"To pay {amount} for order #{order.number}:\n{account.instructions}"
    if text is not None:
        await _tell_customer(session, order, text, key=f"offer:{order.id}", origin_ai=True)
    return text
