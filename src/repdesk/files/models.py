from __future__ import annotations

from sqlalchemy import ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from repdesk.db.base import Base, IdMixin, TimestampMixin


class StoredFile(IdMixin, TimestampMixin, Base):
    __tablename__ = "stored_files"

    workspace_id: Mapped[str] = mapped_column(
        ForeignKey("workspaces.id", ondelete="CASCADE"), index=True
    )
    assistant_id: Mapped[str | None] = mapped_column(
        ForeignKey("assistants.id", ondelete="CASCADE"), index=True
    )
    sha256: Mapped[str] = mapped_column(String(64), index=True)  # files.collect asks by it
    mime_type: Mapped[str] = mapped_column(String(120))
    size: Mapped[int] = mapped_column(Integer)
    filename: Mapped[str] = mapped_column(String(255), default="")
    purpose: Mapped[str] = mapped_column(String(30), default="media")  # media|upload|avatar|...
