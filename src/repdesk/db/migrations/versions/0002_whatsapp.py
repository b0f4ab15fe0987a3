"""whatsapp: connections and templates

Revision ID: 0002_whatsapp
Revises: 0001_foundation
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import repdesk.db.types

revision: str = "0002_whatsapp"
down_revision: str | Sequence[str] | None = "0001_foundation"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def upgrade() -> None:
    op.create_table(
        "whatsapp_connections",
        sa.Column("assistant_id", sa.String(length=32), nullable=False),
        sa.Column("workspace_id", sa.String(length=32), nullable=False),
        sa.Column("mode", sa.String(length=10), nullable=False),
        sa.Column("phone_number_id", sa.String(length=64), nullable=False),
        sa.Column("business_account_id", sa.String(length=64), nullable=False),
        sa.Column("phone_number", sa.String(length=20), nullable=False),
        sa.Column("access_token_enc", sa.Text(), nullable=False),
        sa.Column("app_secret_enc", sa.Text(), nullable=True),
        sa.Column("webhook_path", sa.String(length=64), nullable=False),
        sa.Column("verify_token", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("status_reason", sa.String(length=300), nullable=True),
        sa.Column("display_name", sa.String(length=200), nullable=True),
        sa.Column("quality_rating", sa.String(length=20), nullable=True),
        sa.Column("messaging_tier", sa.String(length=40), nullable=True),
        sa.Column("checked_at", repdesk.db.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("unsigned_seen", sa.Boolean(), nullable=False),
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("created_at", repdesk.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["assistant_id"],
            ["assistants.id"],
            name=op.f("fk_whatsapp_connections_assistant_id_assistants"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspaces.id"],
            name=op.f("fk_whatsapp_connections_workspace_id_workspaces"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_whatsapp_connections")),
        sa.UniqueConstraint("assistant_id", name=op.f("uq_whatsapp_connections_assistant_id")),
        sa.UniqueConstraint(
            "phone_number_id", name=op.f("uq_whatsapp_connections_phone_number_id")
        ),
        sa.UniqueConstraint("webhook_path", name=op.f("uq_whatsapp_connections_webhook_path")),
    )
    with op.batch_alter_table("whatsapp_connections", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_whatsapp_connections_business_account_id"),
            ["business_account_id"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_whatsapp_connections_workspace_id"), ["workspace_id"], unique=False
        )

    op.create_table(
        "whatsapp_templates",
        sa.Column("assistant_id", sa.String(length=32), nullable=False),
        sa.Column("meta_template_id", sa.String(length=64), nullable=True),
        sa.Column("name", sa.String(length=512), nullable=False),
        sa.Column("language", sa.String(length=15), nullable=False),
        sa.Column("category", sa.String(length=30), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("components", JSON, nullable=False),
        sa.Column("rejected_reason", sa.String(length=300), nullable=True),
        sa.Column("synced_at", repdesk.db.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("created_at", repdesk.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["assistant_id"],
            ["assistants.id"],
            name=op.f("fk_whatsapp_templates_assistant_id_assistants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_whatsapp_templates")),
        sa.UniqueConstraint(
            "assistant_id",
            "name",
            "language",
            name=op.f("uq_whatsapp_templates_assistant_id_name_language"),
        ),
    )
    with op.batch_alter_table("whatsapp_templates", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_whatsapp_templates_assistant_id"), ["assistant_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("whatsapp_templates", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_whatsapp_templates_assistant_id"))
    op.drop_table("whatsapp_templates")
    with op.batch_alter_table("whatsapp_connections", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_whatsapp_connections_workspace_id"))
        batch_op.drop_index(batch_op.f("ix_whatsapp_connections_business_account_id"))
    op.drop_table("whatsapp_connections")
