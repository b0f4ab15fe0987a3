"""accounts: user_login_ips, the addresses that have signed in to each user (login throttling)

Emailed tokens became single-use with the existing email_tokens.used_at column (a conditional
UPDATE); no change there.

Revision ID: 0012_accounts_tokens
Revises: 0009_stored_files_sha256
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import repdesk.db.types

revision: str = "0012_accounts_tokens"
down_revision: str | Sequence[str] | None = "0009_stored_files_sha256"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "user_login_ips",
        sa.Column("user_id", sa.String(length=32), nullable=False),
        sa.Column("ip_hash", sa.String(length=64), nullable=False),
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("created_at", repdesk.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_user_login_ips_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_user_login_ips")),
        sa.UniqueConstraint("user_id", "ip_hash", name=op.f("uq_user_login_ips_user_id_ip_hash")),
    )


def downgrade() -> None:
    op.drop_table("user_login_ips")
