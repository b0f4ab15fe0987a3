"""The raw inbound events of every provider's webhooks: the inbound queue (ADR 11)."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from repdesk.db.base import Base, IdMixin, JSONType


class EventState(StrEnum):
    PENDING = "pending"  # stored, not yet handled
    PROCESSED = "processed"  # handled (its effects are committed)
    SET_ASIDE = "set_aside"  # failed MAX_ATTEMPTS times; kept with its error, not retried


class InboundEvent(IdMixin, Base):
    """One item a provider posted to a webhook (a WhatsApp message, status or template
    update; a Paystack charge), stored raw when the POST is acknowledged and turned into our
    state by the provider's handler. Unique on the provider, the account of ours that
    received it and the provider's id, so a redelivery is a no-op."""

    __tablename__ = "inbound_events"
    __table_args__ = (
        # Scoped by account (issue 14): a tenant posting another tenant's ids to its own
        # webhook must not make the genuine items look like redeliveries.
        UniqueConstraint("provider", "account_id", "external_id"),
        Index("ix_inbound_events_pending", "state", "received_at"),
    )

    provider: Mapped[str] = mapped_column(String(20))  # whatsapp | paystack | ...
    # Our id of the account that received it (a WhatsApp connection, a workspace). Not a
    # foreign key (the account tables differ by provider): the provider's account check makes
    # an insert for a removed account fail, and its handler skips events whose account is gone.
    account_id: Mapped[str] = mapped_column(String(32))
    # The provider's id of the item, as the provider's verifier names it (msg:{wamid} ...).
    external_id: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(20))  # the provider's item kind
    payload: Mapped[dict[str, Any]] = mapped_column(JSONType)
    state: Mapped[str] = mapped_column(String(12), default=EventState.PENDING)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    received_at: Mapped[datetime]
    processed_at: Mapped[datetime | None]
