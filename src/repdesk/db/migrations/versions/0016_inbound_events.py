"""inbound: one raw-event store for every provider's webhooks (inbound_events), replacing
whatsapp_events; its rows are moved over, so nothing in flight is lost and redeliveries of
items already processed are still recognised

Revision ID: 0016_inbound_events
Revises: 0015_contacts_book
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import repdesk.db.types

revision: str = "0016_inbound_events"
down_revision: str | Sequence[str] | None = "0015_contacts_book"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")
_WHEN = repdesk.db.types.UTCDateTime(timezone=True)
# ADR 6's set-aside rule: a row processed with this many failed attempts was set aside.
_SET_ASIDE_AFTER = 5


def upgrade() -> None:
    op.create_table(
        "inbound_events",
        sa.Column("provider", sa.String(length=20), nullable=False),
        sa.Column("account_id", sa.String(length=32), nullable=False),
        sa.Column("external_id", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("payload", JSON, nullable=False),
        sa.Column("state", sa.String(length=12), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("received_at", _WHEN, nullable=False),
        sa.Column("processed_at", _WHEN, nullable=True),
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_inbound_events")),
        sa.UniqueConstraint(
            "provider",
            "account_id",
            "external_id",
            name=op.f("uq_inbound_events_provider_account_id_external_id"),
        ),
    )
    op.create_index("ix_inbound_events_pending", "inbound_events", ["state", "received_at"])
    op.execute(
        "INSERT INTO inbound_events (id, provider, account_id, external_id, kind, payload, "
        "state, attempts, last_error, received_at, processed_at) "
        "SELECT id, 'whatsapp', connection_id, dedupe_key, kind, payload, "
        "CASE WHEN processed_at IS NULL THEN 'pending' "
        f"WHEN attempts >= {_SET_ASIDE_AFTER} THEN 'set_aside' ELSE 'processed' END, "
        "attempts, last_error, received_at, processed_at FROM whatsapp_events"
    )
    op.drop_index("ix_whatsapp_events_pending", table_name="whatsapp_events")
    op.drop_table("whatsapp_events")
    # Ingest jobs queued under the old name drain the new queue; the old sweep's schedule goes.
    op.execute("UPDATE jobs SET kind = 'inbound.ingest' WHERE kind = 'whatsapp.ingest'")
    op.execute("DELETE FROM job_schedules WHERE kind = 'whatsapp.ingest_sweep'")


def downgrade() -> None:
    op.create_table(
        "whatsapp_events",
        sa.Column("connection_id", sa.String(length=32), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("dedupe_key", sa.String(length=200), nullable=False),
        sa.Column("payload", JSON, nullable=False),
        sa.Column("received_at", _WHEN, nullable=False),
        sa.Column("processed_at", _WHEN, nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.ForeignKeyConstraint(
            ["connection_id"],
            ["whatsapp_connections.id"],
            name=op.f("fk_whatsapp_events_connection_id_whatsapp_connections"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_whatsapp_events")),
        sa.UniqueConstraint(
            "connection_id",
            "dedupe_key",
            name=op.f("uq_whatsapp_events_connection_id_dedupe_key"),
        ),
    )
    op.create_index(
        "ix_whatsapp_events_pending", "whatsapp_events", ["processed_at", "received_at"]
    )
    # WhatsApp's rows go back (those of connections that still exist: the foreign key).
    op.execute(
        "INSERT INTO whatsapp_events (id, connection_id, kind, dedupe_key, payload, "
        "received_at, processed_at, attempts, last_error) "
        "SELECT e.id, e.account_id, e.kind, e.external_id, e.payload, e.received_at, "
        "e.processed_at, e.attempts, e.last_error FROM inbound_events e "
        "JOIN whatsapp_connections c ON c.id = e.account_id WHERE e.provider = 'whatsapp'"
    )
    op.drop_index("ix_inbound_events_pending", table_name="inbound_events")
    op.drop_table("inbound_events")
    op.execute("UPDATE jobs SET kind = 'whatsapp.ingest' WHERE kind = 'inbound.ingest'")
    op.execute("DELETE FROM job_schedules WHERE kind = 'inbound.sweep'")
