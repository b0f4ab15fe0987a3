from __future__ import annotations

from typing import Any

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from repdesk.db.base import Base, IdMixin, JSONType, TimestampMixin


class Assistant(IdMixin, TimestampMixin, Base):
    __tablename__ = "assistants"

    workspace_id: Mapped[str] = mapped_column(
        ForeignKey("workspaces.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(120))
    platform: Mapped[str] = mapped_column(String(20))  # whatsapp | widget
    purpose: Mapped[str | None] = mapped_column(String(20))  # sales | support | leads
    settings: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    # The business's address on its channel: the WhatsApp number (E.164) once connected, or the
    # widget's public id. Set by the channel package; used as ``from``/``to`` in events.
    channel_address: Mapped[str | None] = mapped_column(String(64))
