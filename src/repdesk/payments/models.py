"""A workspace's own Paystack account, and the payments of its orders."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import BigInteger, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from repdesk.db.base import Base, IdMixin, TimestampMixin
from repdesk.db.types import UTCDateTime
from repdesk.kit.time import utcnow


class PaystackMode(StrEnum):
    TEST = "test"  # an sk_test_ key
    LIVE = "live"  # an sk_live_ key


class PaymentAccount(IdMixin, TimestampMixin, Base):
    """A workspace's Payments settings: its Paystack secret key (encrypted with the vault, as
    WhatsApp credentials are), the random path of its webhook, and the instructions sent
    instead of a link when it has no Paystack."""

    __tablename__ = "payment_accounts"

    workspace_id: Mapped[str] = mapped_column(
        ForeignKey("workspaces.id", ondelete="CASCADE"), unique=True
    )
    paystack_key_enc: Mapped[str | None] = mapped_column(Text)
    mode: Mapped[str | None] = mapped_column(String(4))  # PaystackMode, None without a key
    webhook_path: Mapped[str] = mapped_column(String(64), unique=True)
    instructions: Mapped[str] = mapped_column(Text, default="")
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class OrderPaymentState(StrEnum):
    PENDING = "pending"  # a link was sent; not paid yet
    PAID = "paid"  # verified: the order is paid
    FAILED = "failed"  # declined (the customer may retry on the same link)
    MISMATCH = "mismatch"  # paid, but not the order's amount or currency: for a person
    SUPERSEDED = "superseded"  # a newer link replaced it (the order's total changed)


class OrderPayment(IdMixin, TimestampMixin, Base):
    """A Paystack transaction initialized for an order, by its reference."""

    __tablename__ = "order_payments"

    workspace_id: Mapped[str] = mapped_column(
        ForeignKey("workspaces.id", ondelete="CASCADE"), index=True
    )
    order_id: Mapped[str] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"), index=True)
    reference: Mapped[str] = mapped_column(String(100), unique=True)
    amount: Mapped[int] = mapped_column(BigInteger)  # minor units, the order's total
    currency: Mapped[str] = mapped_column(String(3))
    email: Mapped[str] = mapped_column(String(320))
    url: Mapped[str] = mapped_column(String(500))
    state: Mapped[str] = mapped_column(String(12), default=OrderPaymentState.PENDING)
    paystack_id: Mapped[int | None] = mapped_column(BigInteger)
    paid_at: Mapped[datetime | None]
    refunded: Mapped[int] = mapped_column(BigInteger, default=0)
    problem: Mapped[str | None] = mapped_column(String(300))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
