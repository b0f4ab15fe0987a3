"""The assistant's payment steps (the engine's ``payment`` actions): it asked the customer
for an email address and got one (stored on the contact, then the link of their order), got
none (the instructions), or was asked for the link again (the latest unpaid order's link,
re-issued as the order page does). In a conversation each is a job, since a link is a call
to Paystack; in the playground the route waits for it and shows what the customer would get.
"""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from repdesk.assistants.models import Assistant
from repdesk.billing.paystack import PaystackUnavailable
from repdesk.contacts.models import Contact
from repdesk.conversations import service as conversations
from repdesk.conversations.models import Conversation
from repdesk.jobs.service import enqueue
from repdesk.kit.errors import AppError
from repdesk.kit.ids import new_id
from repdesk.kit.money import format_money
from repdesk.orders.models import Order, OrderStatus, PaymentStatus
from repdesk.payments import orders as payments
from repdesk.payments import service as accounts
from repdesk.payments.models import PaymentAccount
from repdesk.payments.schemas import AssistPaymentJob

log = logging.getLogger("repdesk.payments")

UNPAID = (PaymentStatus.UNPAID, PaymentStatus.PENDING)
PLAYGROUND_PAYSTACK_DOWN = (
    "(Playground: Paystack is not answering right now, so no link could be made. A customer "
    'would get it as soon as Paystack answers; say "send me the link again" to retry.)'
)
NOTHING_TO_PAY = "I can't find an order waiting for payment. Would you like to place one?"


async def mode(session: AsyncSession, workspace_id: str) -> str:
    """What the engine may offer: ``link`` (Paystack), ``instructions`` or ``none``."""
    account = await accounts.get_account(session, workspace_id)
    if account is not None and account.paystack_key_enc:
        return "link"
    if account is not None and account.instructions:
        return "instructions"
    return "none"


def link_text(order: Order, url: str) -> str:
    amount = format_money(order.total, order.currency)
    return f"To pay {amount} for order #{order.number}, use this secure Paystack link: {url}"


def instructions_text(order: Order, account: PaymentAccount | None) -> str | None:
    if account is None or not account.instructions:
        return None
    amount = format_money(order.total, order.currency)
    return f"To pay {amount} for order #{order.number}:\n{account.instructions}"


async def latest_unpaid(
    session: AsyncSession, *, conversation_id: str, contact_id: str | None
) -> Order | None:
    """The customer's latest order still to pay (this conversation's, or the contact's)."""
    where = Order.conversation_id == conversation_id
    if contact_id:
        where = or_(where, Order.contact_id == contact_id)
    return await session.scalar(
        select(Order)
        .where(
            where,
            Order.payment_status.in_([str(s) for s in UNPAID]),
            Order.status != OrderStatus.CANCELLED,
            Order.test.is_(False),
        )
        .order_by(Order.created_at.desc(), Order.id.desc())
        .limit(1)
    )


async def reply_for(
    session: AsyncSession,
    *,
    workspace_id: str,
    order: Order | None,
    send: str,
    email: str | None = None,
) -> str | None:
    """What the customer is sent for ``send``: the order's link (a Paystack call, made with
    no transaction open), else its instructions; None when there is nothing to say."""
    if order is None:
        return NOTHING_TO_PAY if send == "again" else None
    account = await accounts.get_account(session, workspace_id)
    if send != "instructions" and accounts.secret_key(account):
        try:
            payment = await payments.payment_link(
                session, workspace_id=workspace_id, order=order, email=email
            )
            return link_text(order, payment.url)
        except PaystackUnavailable:
            raise  # a job retries with backoff; the playground says so
        except AppError as exc:  # no usable email, paid meanwhile, refused: the instructions
            log.info("order %s: no payment link (%s)", order.id, exc.code)
    return instructions_text(order, account) or (
        f"Our team will contact you shortly about paying "
        f"{format_money(order.total, order.currency)} for order #{order.number}."
    )


async def request(
    session: AsyncSession,
    *,
    conversation_id: str,
    contact_id: str | None,
    send: str,
    email: str | None,
) -> None:
    """An engine's ``payment`` action in a conversation: keep the email, queue the step."""
    if send == "link" and email and contact_id and payments._email_ok(email):
        contact = await session.get(Contact, contact_id)
        if contact is not None:
            contact.email = email[:320]
    elif send == "link":
        send = "instructions"  # the engine's address did not pass: never a link to nobody
    await enqueue(
        session,
        AssistPaymentJob(
            conversation_id=conversation_id,
            contact_id=contact_id,
            send=send,
            request=new_id(),
        ),
    )


async def run(session: AsyncSession, job: AssistPaymentJob) -> str | None:
    """The queued step: say the link (or instructions) in the conversation."""
    conv = await session.get(Conversation, job.conversation_id)
    if conv is None:
        return None
    assistant = await session.get(Assistant, conv.assistant_id)
    if assistant is None:
        return None
    order = await latest_unpaid(
        session, conversation_id=conv.id, contact_id=job.contact_id or conv.contact_id
    )
    text = await reply_for(session, workspace_id=assistant.workspace_id, order=order, send=job.send)
    if text is None:
        return None
    key = f"offer:{order.id}" if order is not None and job.send != "again" else f"pay:{job.request}"
    try:
        await conversations.send(
            session,
            assistant=assistant,
            to=conversations.Recipient(conversation_id=conv.id),
            content=conversations.MessageContent.of_text(text),
            origin=conversations.Origin.AI,
            # the first link or instructions of an order are its offer: sent once however
            # the offer job and this one interleave
            idempotency_key=key[:100],
        )
    except AppError as exc:  # e.g. the channel's window closed meanwhile
        log.warning("payment step not sent in conversation %s: %s", conv.id, exc.code)
        return None
    return text


async def playground(
    session: AsyncSession,
    *,
    assistant: Assistant,
    state: dict[str, object],
    done: list[dict[str, Any]],
) -> list[str]:
    """The playground's payment step, shown as the customer would get it: a confirmed test
    order's instructions (or nothing yet while its email is asked for), the link for the
    email given (initialized on the business's own key: a test key while trying), or the
    link again. ``state`` (the playground session's) remembers the session's last order."""
    out: list[str] = []
    for action in done:
        if action.get("type") == "create_order":
            state["paymentOrderId"] = action["orderId"]
            asking = state.get("payment")
            if isinstance(asking, dict) and asking.get("awaiting") == "email":
                continue
            text = await _playground_text(session, assistant, state, "instructions", None)
            if text is not None and await mode(session, assistant.workspace_id) != "none":
                out.append(text)
        elif action.get("type") == "payment":
            send = str(action.get("send") or "")
            if isinstance(action.get("email"), str):  # the playground's stand-in for the contact
                state["paymentEmail"] = str(action["email"])[:320]
            email = state.get("paymentEmail")
            text = await _playground_text(
                session, assistant, state, send, email if isinstance(email, str) else None
            )
            if text is not None:
                out.append(text)
    return out


async def _playground_text(
    session: AsyncSession,
    assistant: Assistant,
    state: dict[str, object],
    send: str,
    email: str | None,
) -> str | None:
    order_id = state.get("paymentOrderId")
    order = await session.get(Order, order_id) if isinstance(order_id, str) else None
    if order is not None and (
        order.assistant_id != assistant.id or order.payment_status not in UNPAID
    ):
        order = None
    try:
        return await reply_for(
            session, workspace_id=assistant.workspace_id, order=order, send=send, email=email
        )
    except PaystackUnavailable:
        return PLAYGROUND_PAYSTACK_DOWN
