from __future__ import annotations

from sqlalchemy import BigInteger, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from repdesk.db.base import Base, IdMixin, TimestampMixin


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
