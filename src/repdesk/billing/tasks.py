"""Billing's jobs: ``billing.confirm_top_up`` (a top-up Paystack's webhook announced) and the
periodic ``billing.reconcile_top_ups``."""

from __future__ import annotations

import logging
from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from repdesk.billing import topups
from repdesk.billing.config import get_paystack_settings
from repdesk.billing.paystack import PaystackError, PaystackNotConfigured
from repdesk.billing.schemas import ConfirmTopUpJob, ReconcileTopUpsJob
from repdesk.jobs.registry import PermanentError, periodic, task

log = logging.getLogger("repdesk.billing.topups")

RECONCILE_EVERY_SECONDS = 300


@task(ConfirmTopUpJob, max_attempts=10, backoff_base=30.0, backoff_cap=3600.0)
async def confirm_top_up(session: AsyncSession, job: ConfirmTopUpJob) -> None:
    """Verify and credit (once) the top-up a ``charge.success`` announced. Paystack being
    down or slow fails the job, which is retried with backoff."""
    claim = topups.Claim(amount=job.claimed_amount, currency=job.claimed_currency)
    try:
        await topups.confirm(session, job.reference, source="webhook", claim=claim)
    except PaystackNotConfigured as exc:
        raise PermanentError(exc.message) from exc


@task(ReconcileTopUpsJob, max_attempts=1)
async def reconcile_top_ups(session: AsyncSession, job: ReconcileTopUpsJob) -> None:
    """Verify the pending top-ups that are older than REPDESK_PAYSTACK_RECONCILE_AFTER_MINUTES
    (credit the paid ones, mark the declined ones), and mark those older than
    REPDESK_PAYSTACK_ABANDON_AFTER_MINUTES that were never paid abandoned."""
    s = get_paystack_settings()
    if not s.configured:
        return
    give_up = timedelta(minutes=s.paystack_abandon_after_minutes)
    # Each top-up's verify commits the one before (topups.confirm), so no lock is held across
    # the next call to Paystack.
    for reference in await topups.due_for_reconciliation(session):
        try:
            await topups.confirm(session, reference, source="reconcile", give_up_after=give_up)
        except PaystackError as exc:  # try the others; this one is due again next time
            log.warning("reconciling top-up %s: %s", reference, exc.message)


periodic(ReconcileTopUpsJob, every_seconds=RECONCILE_EVERY_SECONDS)
