"""files: an index on stored_files.sha256, for the collection of bytes no upload names any more

Revision ID: 0009_stored_files_sha256
Revises: 0008_messages_sending
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0009_stored_files_sha256"
down_revision: str | Sequence[str] | None = "0008_messages_sending"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_stored_files_sha256", "stored_files", ["sha256"])


def downgrade() -> None:
    op.drop_index("ix_stored_files_sha256", table_name="stored_files")
