"""merge the second wave's heads (generic inbound intake, contacts features)

Revision ID: 0019_merge_wave2
Revises: 0016_inbound_events, 0017_contacts_features
Create Date: 2026-12-03
"""

from __future__ import annotations

from collections.abc import Sequence

revision: str = "0019_merge_wave2"
down_revision: str | Sequence[str] | None = ("0016_inbound_events", "0017_contacts_features")
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
