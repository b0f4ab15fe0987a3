from __future__ import annotations

from datetime import datetime

from pydantic import Field

from repdesk.billing.models import TopUpState
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
