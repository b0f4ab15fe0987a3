"""``payments.confirm`` (an order payment a workspace's webhook announced) and
``payments.offer`` (a new order's payment link or instructions) and ``payments.assist`` (the
assistant's payment step: the link after the customer gave an email, or again)."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from repdesk.billing.paystack import PaystackNotConfigured
from repdesk.jobs.registry import PermanentError, task
from repdesk.payments import assist, orders
from repdesk.payments.schemas import AssistPaymentJob, ConfirmOrderPaymentJob, OfferPaymentJob


@task(ConfirmOrderPaymentJob, max_attempts=10, backoff_base=30.0, backoff_cap=3600.0)
async def confirm(session: AsyncSession, job: ConfirmOrderPaymentJob) -> None:
    """Verify with the workspace's key and mark the order paid (once), or mismatch. Paystack
    down: the job is retried with backoff."""
    claim = orders.Claim(amount=job.claimed_amount, currency=job.claimed_currency)
    try:
        await orders.confirm(session, job.reference, source="webhook", claim=claim)
    except PaystackNotConfigured as exc:  # the key was removed since: nothing can verify it
        raise PermanentError(exc.message) from exc


@task(OfferPaymentJob, max_attempts=5, backoff_base=30.0)
async def offer(session: AsyncSession, job: OfferPaymentJob) -> None:
    """A new order: its payment link (or the instructions) in the conversation."""
    await orders.offer(session, job.order_id)


@task(AssistPaymentJob, max_attempts=5, backoff_base=30.0)
async def assist_payment(session: AsyncSession, job: AssistPaymentJob) -> None:
    """The link of the customer's latest unpaid order (or the instructions) in the chat."""
    await assist.run(session, job)
