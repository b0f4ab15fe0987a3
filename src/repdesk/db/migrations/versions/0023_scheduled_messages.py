"""scheduled messages, and the workspace's time zone

Revision ID: 0023_scheduled_messages
Revises: 0022_order_payments
Create Date: 2026-12-04
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import repdesk.db.types

revision: str = "0023_scheduled_messages"
down_revision: str | Sequence[str] | None = "0022_order_payments"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_WHEN = repdesk.db.types.UTCDateTime(timezone=True)
_JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")
_ID = sa.String(length=32)


def upgrade() -> None:
    op.add_column(
        "workspaces",
        sa.Column("timezone", sa.String(length=64), server_default="UTC", nullable=False),
    )
    op.create_table(
        "scheduled_messages",
        sa.Column("workspace_id", _ID, nullable=False),
        sa.Column("assistant_id", _ID, nullable=False),
        sa.Column("contact_id", _ID, nullable=True),
        sa.Column("phone", sa.String(length=20), nullable=True),
        sa.Column("content", _JSON, nullable=False),
        sa.Column("send_at", _WHEN, nullable=False),
        sa.Column("time_zone", sa.String(length=64), nullable=False),
        sa.Column("state", sa.String(length=10), nullable=False),
        sa.Column("error_code", sa.String(length=60), nullable=True),
        sa.Column("error_message", sa.String(length=300), nullable=True),
        sa.Column("late", sa.Boolean(), nullable=False),
        sa.Column("handled_at", _WHEN, nullable=True),
        sa.Column("message_id", _ID, nullable=True),
        sa.Column("created_by", _ID, nullable=True),
        sa.Column("updated_at", _WHEN, nullable=False),
        sa.Column("id", _ID, nullable=False),
        sa.Column("created_at", _WHEN, nullable=False),
        sa.ForeignKeyConstraint(
            ["assistant_id"],
            ["assistants.id"],
            name=op.f("fk_scheduled_messages_assistant_id_assistants"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["contact_id"],
            ["contacts.id"],
            name=op.f("fk_scheduled_messages_contact_id_contacts"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["message_id"],
            ["messages.id"],
            name=op.f("fk_scheduled_messages_message_id_messages"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspaces.id"],
            name=op.f("fk_scheduled_messages_workspace_id_workspaces"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_scheduled_messages")),
    )
    op.create_index(
        "ix_scheduled_messages_assistant_id",
        "scheduled_messages",
        ["assistant_id", "state", "send_at"],
    )
    op.create_index("ix_scheduled_messages_due", "scheduled_messages", ["state", "send_at"])
    op.create_index(
        op.f("ix_scheduled_messages_contact_id"), "scheduled_messages", ["contact_id"]
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_scheduled_messages_contact_id"), table_name="scheduled_messages")
    op.drop_index("ix_scheduled_messages_due", table_name="scheduled_messages")
    op.drop_index("ix_scheduled_messages_assistant_id", table_name="scheduled_messages")
    op.drop_table("scheduled_messages")
    with op.batch_alter_table("workspaces") as batch_op:
        batch_op.drop_column("timezone")
