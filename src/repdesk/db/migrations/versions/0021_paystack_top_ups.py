"""paystack top-ups: credit purchases by their Paystack reference

Revision ID: 0021_paystack_top_ups
Revises: 0020_merge_segments
Create Date: 2026-12-04
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import repdesk.db.types

revision: str = "0021_paystack_top_ups"
down_revision: str | Sequence[str] | None = "0020_merge_segments"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_WHEN = repdesk.db.types.UTCDateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "top_ups",
        sa.Column("workspace_id", sa.String(length=32), nullable=False),
        sa.Column("reference", sa.String(length=100), nullable=False),
        sa.Column("credits", sa.BigInteger(), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("display_currency", sa.String(length=3), nullable=False),
        sa.Column("state", sa.String(length=12), nullable=False),
        sa.Column("email", sa.String(length=320), nullable=False),
        sa.Column("authorization_url", sa.String(length=500), nullable=False),
        sa.Column("access_code", sa.String(length=100), nullable=False),
        sa.Column("paystack_status", sa.String(length=20), nullable=True),
        sa.Column("paystack_id", sa.BigInteger(), nullable=True),
        sa.Column("channel", sa.String(length=30), nullable=True),
        sa.Column("paid_at", _WHEN, nullable=True),
        sa.Column("problem", sa.String(length=300), nullable=True),
        sa.Column("updated_at", _WHEN, nullable=False),
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("created_at", _WHEN, nullable=False),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspaces.id"],
            name=op.f("fk_top_ups_workspace_id_workspaces"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_top_ups")),
        sa.UniqueConstraint("reference", name=op.f("uq_top_ups_reference")),
    )
    op.create_index(op.f("ix_top_ups_workspace_id"), "top_ups", ["workspace_id"])
    op.create_index("ix_top_ups_state_created", "top_ups", ["state", "created_at"])


def downgrade() -> None:
    op.drop_index("ix_top_ups_state_created", table_name="top_ups")
    op.drop_index(op.f("ix_top_ups_workspace_id"), table_name="top_ups")
    op.drop_table("top_ups")
