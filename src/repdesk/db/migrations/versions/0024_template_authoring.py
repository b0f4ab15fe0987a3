"""template authoring: Meta's quality score, rejection detail and submission time of templates

Revision ID: 0024_template_authoring
Revises: 0023_scheduled_messages
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import repdesk.db.types

revision: str = "0024_template_authoring"
down_revision: str | Sequence[str] | None = "0023_scheduled_messages"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("whatsapp_templates", schema=None) as batch_op:
        batch_op.add_column(sa.Column("quality", sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column("rejection_detail", sa.String(length=1000), nullable=True))
        batch_op.add_column(
            sa.Column(
                "submitted_at", repdesk.db.types.UTCDateTime(timezone=True), nullable=True
            )
        )


def downgrade() -> None:
    with op.batch_alter_table("whatsapp_templates", schema=None) as batch_op:
        batch_op.drop_column("submitted_at")
        batch_op.drop_column("rejection_detail")
        batch_op.drop_column("quality")
