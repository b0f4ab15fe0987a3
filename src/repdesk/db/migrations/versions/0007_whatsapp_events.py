"""whatsapp: the raw inbound event queue (webhook items stored at acknowledgement)

Revision ID: 0007_whatsapp_events
Revises: 0006_merge_domains
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import repdesk.db.types

revision: str = "0007_whatsapp_events"
down_revision: str | Sequence[str] | None = "0006_merge_domains"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def upgrade() -> None:
    op.create_table(
        "whatsapp_events",
        sa.Column("connection_id", sa.String(length=32), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("dedupe_key", sa.String(length=200), nullable=False),
        sa.Column("payload", JSON, nullable=False),
        sa.Column("received_at", repdesk.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("processed_at", repdesk.db.types.UTCDateTime(timezone=True), nullable=True),
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
        sa.UniqueConstraint("dedupe_key", name=op.f("uq_whatsapp_events_dedupe_key")),
    )
    op.create_index(
        op.f("ix_whatsapp_events_connection_id"), "whatsapp_events", ["connection_id"]
    )
    op.create_index(
        "ix_whatsapp_events_pending", "whatsapp_events", ["processed_at", "received_at"]
    )


def downgrade() -> None:
    op.drop_index("ix_whatsapp_events_pending", table_name="whatsapp_events")
    op.drop_index(op.f("ix_whatsapp_events_connection_id"), table_name="whatsapp_events")
    op.drop_table("whatsapp_events")
