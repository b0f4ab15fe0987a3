"""knowledge: a document's processing state (processing, ready, failed) and its reason

Revision ID: 0012_knowledge_document_status
Revises: 0009_stored_files_sha256
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012_knowledge_document_status"
down_revision: str | Sequence[str] | None = "0009_stored_files_sha256"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("knowledge_items") as batch:
        batch.add_column(
            sa.Column("status", sa.String(length=12), server_default="ready", nullable=False)
        )
        batch.add_column(sa.Column("status_detail", sa.Text(), nullable=True))
        batch.add_column(sa.Column("error_code", sa.String(length=40), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("knowledge_items") as batch:
        batch.drop_column("error_code")
        batch.drop_column("status_detail")
        batch.drop_column("status")
