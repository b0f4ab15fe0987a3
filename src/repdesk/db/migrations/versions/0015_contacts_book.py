"""contacts: the customer book's columns (email, language, opt-out, computed attributes) and
the contact_tags table, filled from the old JSON tags list

Revision ID: 0015_contacts_book
Revises: 0014_merge_audit
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import repdesk.db.types

revision: str = "0015_contacts_book"
down_revision: str | Sequence[str] | None = "0014_merge_audit"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_WHEN = repdesk.db.types.UTCDateTime(timezone=True)


def upgrade() -> None:
    with op.batch_alter_table("contacts") as batch:
        batch.add_column(sa.Column("email", sa.String(length=320), nullable=True))
        batch.add_column(sa.Column("language", sa.String(length=16), nullable=True))
        batch.add_column(sa.Column("opted_out", sa.Boolean(), server_default="0", nullable=False))
        batch.add_column(sa.Column("opted_out_at", _WHEN, nullable=True))
        batch.add_column(
            sa.Column("outbound_count", sa.Integer(), server_default="0", nullable=False)
        )
        batch.add_column(sa.Column("last_contacted_at", _WHEN, nullable=True))
        batch.add_column(
            sa.Column("conversations_count", sa.Integer(), server_default="0", nullable=False)
        )
        batch.add_column(
            sa.Column("orders_count", sa.Integer(), server_default="0", nullable=False)
        )
        batch.add_column(
            sa.Column("total_spent", sa.BigInteger(), server_default="0", nullable=False)
        )
        batch.add_column(
            sa.Column("total_paid", sa.BigInteger(), server_default="0", nullable=False)
        )
        batch.add_column(sa.Column("last_order_at", _WHEN, nullable=True))
        batch.add_column(sa.Column("budget_range", sa.String(length=8), nullable=True))
        batch.add_column(sa.Column("sentiment", sa.String(length=8), nullable=True))
        batch.add_column(sa.Column("sentiment_score", sa.Float(), nullable=True))
        batch.add_column(sa.Column("engagement_score", sa.Integer(), nullable=True))
    op.create_index(
        "ix_contacts_assistant_last_message", "contacts", ["assistant_id", "last_message_at"]
    )
    op.create_table(
        "contact_tags",
        sa.Column("contact_id", sa.String(length=32), nullable=False),
        sa.Column("tag", sa.String(length=64), nullable=False),
        sa.Column("assistant_id", sa.String(length=32), nullable=False),
        sa.ForeignKeyConstraint(
            ["contact_id"],
            ["contacts.id"],
            name=op.f("fk_contact_tags_contact_id_contacts"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["assistant_id"],
            ["assistants.id"],
            name=op.f("fk_contact_tags_assistant_id_assistants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("contact_id", "tag", name=op.f("pk_contact_tags")),
    )
    op.create_index("ix_contact_tags_assistant_tag", "contact_tags", ["assistant_id", "tag"])
    _copy_tags()


def _copy_tags() -> None:
    bind = op.get_bind()
    contacts = sa.table(
        "contacts",
        sa.column("id", sa.String),
        sa.column("assistant_id", sa.String),
        sa.column("tags", sa.JSON),
    )
    tags_table = sa.table(
        "contact_tags",
        sa.column("contact_id", sa.String),
        sa.column("tag", sa.String),
        sa.column("assistant_id", sa.String),
    )
    rows = []
    for contact_id, assistant_id, tags in bind.execute(
        sa.select(contacts.c.id, contacts.c.assistant_id, contacts.c.tags)
    ):
        for tag in dict.fromkeys(tags or []):
            if isinstance(tag, str) and tag:
                rows.append({"contact_id": contact_id, "tag": tag, "assistant_id": assistant_id})
    if rows:
        bind.execute(tags_table.insert(), rows)


def downgrade() -> None:
    op.drop_index("ix_contact_tags_assistant_tag", table_name="contact_tags")
    op.drop_table("contact_tags")
    op.drop_index("ix_contacts_assistant_last_message", table_name="contacts")
    with op.batch_alter_table("contacts") as batch:
        for column in (
            "engagement_score",
            "sentiment_score",
            "sentiment",
            "budget_range",
            "last_order_at",
            "total_paid",
            "total_spent",
            "orders_count",
            "conversations_count",
            "last_contacted_at",
            "outbound_count",
            "opted_out_at",
            "opted_out",
            "language",
            "email",
        ):
            batch.drop_column(column)
