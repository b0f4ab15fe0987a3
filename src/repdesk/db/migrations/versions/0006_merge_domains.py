"""merge the domain heads (whatsapp, knowledge, ai, developer api) into one line

Revision ID: 0006_merge_domains
Revises: 0002_whatsapp, 0003_knowledge, 0004_ai, 0005_developer_api
Create Date: 2026-11-22
"""

from __future__ import annotations

from collections.abc import Sequence

revision: str = "0006_merge_domains"
down_revision: str | Sequence[str] | None = (
    "0002_whatsapp",
    "0003_knowledge",
    "0004_ai",
    "0005_developer_api",
)
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
