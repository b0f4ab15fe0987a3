"""WhatsApp connections (one per assistant) and the templates synced from their WABA."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint
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
    # Set when a POST was refused because the connection has no App Secret (a BYOK connection
    # saved before it was required; shown as a warning until the secret is added).
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


class WhatsAppEvent(IdMixin, Base):
    """One item of a Meta webhook (a message, a status, a template update), stored raw when
    the POST is acknowledged and turned into conversation state by the ``whatsapp.ingest``
    job. The table is the inbound queue: unique on the connection and the provider's id, so a
    redelivery is a no-op, and a row stays pending (``processed_at`` null) until a worker has
    processed it."""

    __tablename__ = "whatsapp_events"
    __table_args__ = (
        # Scoped by connection: a tenant posting another tenant's ids to its own webhook
        # must not make the genuine items look like redeliveries. (The constraint's index
        # also serves the foreign key.)
        UniqueConstraint("connection_id", "dedupe_key"),
        Index("ix_whatsapp_events_pending", "processed_at", "received_at"),
    )

    connection_id: Mapped[str] = mapped_column(
        ForeignKey("whatsapp_connections.id", ondelete="CASCADE")
    )
    kind: Mapped[str] = mapped_column(String(10))  # message | status | template
    # msg:{wamid} | st:{wamid}:{status}:{timestamp} | tpl:{hash of the update}
    dedupe_key: Mapped[str] = mapped_column(String(200))
    # A Meta webhook envelope carrying just this one item, as Meta sent it.
    payload: Mapped[dict[str, Any]] = mapped_column(JSONType)
    received_at: Mapped[datetime]
    processed_at: Mapped[datetime | None]
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
