"""merge the segments head into the second wave's

Revision ID: 0020_merge_segments
Revises: 0018_segments, 0019_merge_wave2
Create Date: 2026-12-03
"""

from __future__ import annotations

from collections.abc import Sequence

revision: str = "0020_merge_segments"
down_revision: str | Sequence[str] | None = ("0018_segments", "0019_merge_wave2")
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
