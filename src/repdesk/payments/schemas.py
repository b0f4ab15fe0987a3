from __future__ import annotations

from typing import ClassVar, Literal

from pydantic import Field

from repdesk.jobs.registry import JobPayload
from repdesk.kit.money import MAX_MINOR_UNITS
from repdesk.kit.schemas import CamelModel, StrictCamelModel


class PaymentsUpdate(StrictCamelModel):
    # "": remove the key. Absent: keep it.
    paystack_secret_key: str | None = Field(default=None, max_length=200)
    instructions: str | None = Field(default=None, max_length=2000)


class PaymentsRead(CamelModel):
    """Never the key: whether there is one, and whether it is a test or a live key."""

    paystack_configured: bool
    mode: Literal["test", "live"] | None
    webhook_url: str
    instructions: str


class PaymentLinkCreate(StrictCamelModel):
    email: str | None = Field(default=None, max_length=320)


class PaymentLinkRead(CamelModel):
    url: str
    reference: str
    amount: int
    currency: str


class MarkPaid(StrictCamelModel):
    note: str | None = Field(default=None, max_length=2000)


class RefundCreate(StrictCamelModel):
    # minor units; absent: whatever of the payment is not refunded yet
    amount: int | None = Field(default=None, ge=1, le=MAX_MINOR_UNITS, strict=True)
    note: str | None = Field(default=None, max_length=2000)


class ConfirmOrderPaymentJob(JobPayload):
    """Verify, with the workspace's key, an order payment its webhook announced
    (``payments.confirm``)."""

    kind: ClassVar[str] = "payments.confirm"
    reference: str
    claimed_amount: int
    claimed_currency: str


class OfferPaymentJob(JobPayload):
    """A new order from a conversation: send the customer its payment link, or the
    workspace's payment instructions (``payments.offer``)."""

    kind: ClassVar[str] = "payments.offer"
    order_id: str


class AssistPaymentJob(JobPayload):
    """The assistant's payment step in a conversation (``payments.assist``): the link of the
    customer's latest unpaid order (``link`` after they gave their email, ``again`` when they
    ask for it again), or the instructions (``instructions``: no email given)."""

    kind: ClassVar[str] = "payments.assist"
    conversation_id: str
    contact_id: str | None = None
    send: Literal["link", "again", "instructions"]
    request: str  # one per request: its message's idempotency key
