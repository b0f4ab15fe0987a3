"""WhatsApp connections (one per assistant) and the templates synced from their WABA."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from repdesk.db.base import Base, IdMixin, JSONType, TimestampMixin


class WhatsAppConnection(IdMixin, TimestampMixin, Base):
    __tablename__ = "whatsapp_connections"

    assistant_id: Mapped[str] = mapped_column(
        ForeignKey("assistants.id", ondelete="CASCADE"), unique=True
    )
    workspace_id: Mapped[str] = mapped_column(
        ForeignKey("workspaces.id", ondelete="CASCADE"), index=True
    )
    mode: Mapped[str] = mapped_column(String(10))  # byok | embedded
    phone_number_id: Mapped[str] = mapped_column(String(64), unique=True)
    business_account_id: Mapped[str] = mapped_column(String(64), index=True)
    phone_number: Mapped[str] = mapped_column(String(20))  # E.164
    # AES-256-GCM ciphertexts from repdesk.vault (key id inside, so the key can rotate).
    access_token_enc: Mapped[str] = mapped_column(Text)
    app_secret_enc: Mapped[str | None] = mapped_column(Text)
    # Random, >= 128 bits, never derived from the number or account ids.
    webhook_path: Mapped[str] = mapped_column(String(64), unique=True)
    verify_token: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(20), default="connected")  # connected|disconnected
    status_reason: Mapped[str | None] = mapped_column(String(300))
    display_name: Mapped[str | None] = mapped_column(String(200))
    quality_rating: Mapped[str | None] = mapped_column(String(20))
    messaging_tier: Mapped[str | None] = mapped_column(String(40))
    checked_at: Mapped[datetime | None]
    # Set when a POST arrived unsigned on a connection without an App Secret (shown as a warning).
    unsigned_seen: Mapped[bool] = mapped_column(Boolean, default=False)


class WhatsAppTemplate(IdMixin, TimestampMixin, Base):
    __tablename__ = "whatsapp_templates"
    __table_args__ = (UniqueConstraint("assistant_id", "name", "language"),)

    assistant_id: Mapped[str] = mapped_column(
        ForeignKey("assistants.id", ondelete="CASCADE"), index=True
    )
    meta_template_id: Mapped[str | None] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(512))
    language: Mapped[str] = mapped_column(String(15))
    category: Mapped[str | None] = mapped_column(String(30))
    # APPROVED | PENDING | REJECTED | PAUSED | DISABLED ...; only APPROVED can be sent.
    status: Mapped[str] = mapped_column(String(20))
    components: Mapped[list[dict[str, Any]]] = mapped_column(JSONType, default=list)
    rejected_reason: Mapped[str | None] = mapped_column(String(300))
    synced_at: Mapped[datetime | None]
