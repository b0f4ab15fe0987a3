from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from repdesk.db.base import Base, IdMixin, JSONType, TimestampMixin
from repdesk.kit.time import utcnow


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
