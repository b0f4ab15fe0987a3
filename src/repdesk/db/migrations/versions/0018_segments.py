"""segments: saved contact filters per assistant

Revision ID: 0018_segments
Revises: 0015_contacts_book
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import repdesk.db.types

revision: str = "0018_segments"
down_revision: str | Sequence[str] | None = "0015_contacts_book"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_WHEN = repdesk.db.types.UTCDateTime(timezone=True)
_JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def upgrade() -> None:
    op.create_table(
        "segments",
        sa.Column("assistant_id", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("filter", _JSON, nullable=False),
        sa.Column("updated_at", _WHEN, nullable=False),
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("created_at", _WHEN, nullable=False),
        sa.ForeignKeyConstraint(
            ["assistant_id"],
            ["assistants.id"],
            name=op.f("fk_segments_assistant_id_assistants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_segments")),
        sa.UniqueConstraint("assistant_id", "name", name=op.f("uq_segments_assistant_id_name")),
    )
    op.create_index(op.f("ix_segments_assistant_id"), "segments", ["assistant_id"])
    op.create_index("ix_orders_contact_id", "orders", ["contact_id"])
    # "has ordered product X": JSON containment on PostgreSQL; an empty index on SQLite
    op.create_index(
        "ix_orders_items",
        "orders",
        ["items"],
        postgresql_using="gin",
        postgresql_ops={"items": "jsonb_path_ops"},
        sqlite_where=sa.text("0"),
    )


def downgrade() -> None:
    op.drop_index("ix_orders_items", table_name="orders")
    op.drop_index("ix_orders_contact_id", table_name="orders")
    op.drop_index(op.f("ix_segments_assistant_id"), table_name="segments")
    op.drop_table("segments")
