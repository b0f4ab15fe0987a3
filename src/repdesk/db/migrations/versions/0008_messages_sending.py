"""conversations: a partial index on messages in flight (status 'sending'), for the sweep that
resumes API sends whose request died (ADR 7)

Revision ID: 0008_messages_sending
Revises: 0007_whatsapp_events
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008_messages_sending"
down_revision: str | Sequence[str] | None = "0007_whatsapp_events"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SENDING = sa.text("status = 'sending'")


def upgrade() -> None:
    op.create_index(
        "ix_messages_sending",
        "messages",
        ["created_at"],
        postgresql_where=SENDING,
        sqlite_where=SENDING,
    )


def downgrade() -> None:
    op.drop_index("ix_messages_sending", table_name="messages")
