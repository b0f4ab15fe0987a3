"""WhatsApp connections (one per assistant) and the templates synced from their WABA."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import Boolean, ForeignKey, String, Text, UniqueConstraint, event
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Mapped, Mapper, mapped_column

from repdesk.db.base import Base, IdMixin, JSONType, TimestampMixin, table_of
from repdesk.inbound.models import InboundEvent

# The provider name of WhatsApp's events in the inbound intake (inbound_events.provider).
PROVIDER = "whatsapp"


class ConnectionStatus(StrEnum):
    CONNECTED = "connected"
    DISCONNECTED = "disconnected"


class TemplateStatus(StrEnum):
    PENDING = "PENDING"
    APPROVED = "APPROVED"
    REJECTED = "REJECTED"
    PAUSED = "PAUSED"
    DISABLED = "DISABLED"


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
    status: Mapped[str] = mapped_column(String(20), default=ConnectionStatus.CONNECTED)
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
    # TemplateStatus: APPROVED | PENDING | REJECTED | PAUSED | DISABLED ...; only APPROVED
    # can be sent (Meta may add statuses: the column keeps whatever Meta says).
    status: Mapped[str] = mapped_column(String(20))
    components: Mapped[list[dict[str, Any]]] = mapped_column(JSONType, default=list)
    # Meta's short reason code (INVALID_FORMAT...) and its explanation with recommendation.
    rejected_reason: Mapped[str | None] = mapped_column(String(300))
    rejection_detail: Mapped[str | None] = mapped_column(String(1000))
    # Meta's quality score: GREEN | YELLOW | RED | UNKNOWN.
    quality: Mapped[str | None] = mapped_column(String(20))
    # Set when the template was submitted (or resubmitted) from repdesk.
    submitted_at: Mapped[datetime | None]
    synced_at: Mapped[datetime | None]


@event.listens_for(WhatsAppConnection, "after_delete")
def _forget_events(
    _mapper: Mapper[WhatsAppConnection], connection: Connection, target: WhatsAppConnection
) -> None:
    # A removed connection's stored webhook events go with it, as a foreign key's cascade
    # would do (inbound_events serves every provider, so it has none). A connection removed by
    # a database cascade (its assistant deleted) leaves them to the handler, which drops
    # events of unknown connections, and to the sweep's pruning.
    t = table_of(InboundEvent)
    connection.execute(t.delete().where(t.c.provider == PROVIDER, t.c.account_id == target.id))
