from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import BigInteger, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from repdesk.db.base import Base, IdMixin, TimestampMixin
from repdesk.db.types import UTCDateTime
from repdesk.kit.time import utcnow


class LedgerEntry(IdMixin, TimestampMixin, Base):
    """One change of a workspace's credits. Never updated, never deleted."""

    __tablename__ = "ledger_entries"
    __table_args__ = (
        UniqueConstraint("workspace_id", "reference"),
        Index("ix_ledger_workspace_created", "workspace_id", "id"),
    )

    workspace_id: Mapped[str] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(16))  # grant | purchase | usage | refund
    amount: Mapped[int] = mapped_column(BigInteger)  # signed: usage is negative
    balance_after: Mapped[int] = mapped_column(BigInteger)
    reason: Mapped[str] = mapped_column(String(40))  # ai_reply, outbound_text, signup, ...
    reference: Mapped[str] = mapped_column(String(120))  # idempotency key, unique per workspace
    description: Mapped[str] = mapped_column(String(300), default="")


class TopUpState(StrEnum):
    PENDING = "pending"  # initialized; neither the return, the webhook nor a verify finished it
    SUCCESS = "success"  # verified and credited (once, through the ledger)
    FAILED = "failed"  # Paystack declined it (the payer may still retry on the same page)
    ABANDONED = "abandoned"  # never paid, given up by the reconciliation
    MISMATCH = "mismatch"  # paid, but not what was initialized: nothing credited, for a person


class TopUp(IdMixin, TimestampMixin, Base):
    """A credit purchase through the operator's Paystack account, by its Paystack reference.
    ``amount`` and ``currency`` are what was initialized; crediting checks Paystack's verified
    transaction against them."""

    __tablename__ = "top_ups"
    __table_args__ = (Index("ix_top_ups_state_created", "state", "created_at"),)

    workspace_id: Mapped[str] = mapped_column(
        ForeignKey("workspaces.id", ondelete="CASCADE"), index=True
    )
    reference: Mapped[str] = mapped_column(String(100), unique=True)
    credits: Mapped[int] = mapped_column(BigInteger)
    amount: Mapped[int] = mapped_column(BigInteger)  # minor units of ``currency``
    currency: Mapped[str] = mapped_column(String(3))  # charged in (NGN, USD)
    # What the owner chose: GBP, EUR, CAD and AUD are charged the USD equivalent.
    display_currency: Mapped[str] = mapped_column(String(3))
    state: Mapped[str] = mapped_column(String(12), default=TopUpState.PENDING)
    email: Mapped[str] = mapped_column(String(320))
    authorization_url: Mapped[str] = mapped_column(String(500))
    access_code: Mapped[str] = mapped_column(String(100), default="")
    # What Paystack last said of it
    paystack_status: Mapped[str | None] = mapped_column(String(20))
    paystack_id: Mapped[int | None] = mapped_column(BigInteger)
    channel: Mapped[str | None] = mapped_column(String(30))
    paid_at: Mapped[datetime | None]
    problem: Mapped[str | None] = mapped_column(String(300))  # why failed or mismatch
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
