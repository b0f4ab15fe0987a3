from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from repdesk.db.base import Base, IdMixin, JSONType, TimestampMixin, table_of
from repdesk.kit.time import utcnow
from repdesk.orders.models import Order


class Segment(IdMixin, TimestampMixin, Base):
    """A named filter over an assistant's contacts. Only the filter is stored: membership is
    computed each time the segment is used, so relative dates move with the clock."""

    __tablename__ = "segments"
    __table_args__ = (UniqueConstraint("assistant_id", "name"),)

    assistant_id: Mapped[str] = mapped_column(
        ForeignKey("assistants.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(120))
    filter: Mapped[dict[str, Any]] = mapped_column(JSONType)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


# "Has ordered product X" is JSON containment on orders.items (``items @> [{"productId": …}]``):
# a GIN index answers it on PostgreSQL. SQLite has no such index; there the index is declared
# empty (``WHERE 0``) so that both databases carry the same schema and SQLite pays nothing.
Index(
    "ix_orders_items",
    table_of(Order).c["items"],
    postgresql_using="gin",
    postgresql_ops={"items": "jsonb_path_ops"},
    sqlite_where=text("0"),
)

# The orders of one contact (the correlated lookup behind "has ordered product X" on SQLite,
# and the anti-join of "has not ordered" on both).
Index("ix_orders_contact_id", table_of(Order).c["contact_id"])
