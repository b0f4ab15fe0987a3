from __future__ import annotations

from datetime import datetime
from typing import ClassVar

from pydantic import Field

from repdesk.billing.models import TopUpState
from repdesk.jobs.registry import JobPayload
from repdesk.kit.schemas import CamelModel, StrictCamelModel


class LedgerEntryRead(CamelModel):
    id: str
    kind: str
    amount: int
    balance_after: int
    reason: str
    reference: str
    description: str
    created_at: datetime


class TopUpCreate(StrictCamelModel):
    credits: int = Field(strict=True, ge=100, le=10_000_000, examples=[500])
    currency: str = Field(min_length=3, max_length=3, examples=["NGN"])


class TopUpStarted(CamelModel):
    """Send the owner to ``authorizationUrl``; the top-up is completed on their return."""

    authorization_url: str
    reference: str
    credits: int
    amount: int  # minor units of ``currency``
    currency: str  # charged in (GBP, EUR, CAD and AUD are charged the USD equivalent)


class TopUpRead(CamelModel):
    reference: str
    state: TopUpState
    credits: int
    amount: int
    currency: str
    display_currency: str
    paystack_status: str | None
    problem: str | None
    created_at: datetime
    paid_at: datetime | None


class ConfirmTopUpJob(JobPayload):
    """Verify a top-up that Paystack's ``charge.success`` webhook announced, and credit it
    (``billing.confirm_top_up``). The claimed amount and currency are the webhook's."""

    kind: ClassVar[str] = "billing.confirm_top_up"
    reference: str
    claimed_amount: int
    claimed_currency: str


class ReconcileTopUpsJob(JobPayload):
    """Periodic: verify pending top-ups neither the return nor the webhook completed, and give
    up old ones as abandoned (``billing.reconcile_top_ups``)."""

    kind: ClassVar[str] = "billing.reconcile_top_ups"
