"""jobs: job_schedules, the next due time of each periodic job kind

Revision ID: 0010_job_schedules
Revises: 0009_stored_files_sha256
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from repdesk.db.types import UTCDateTime

revision: str = "0010_job_schedules"
down_revision: str | Sequence[str] | None = "0009_stored_files_sha256"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "job_schedules",
        sa.Column("kind", sa.String(length=60), nullable=False),
        sa.Column("next_due_at", UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("kind", name=op.f("pk_job_schedules")),
    )


def downgrade() -> None:
    op.drop_table("job_schedules")
