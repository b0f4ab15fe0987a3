"""order payments: each workspace's Paystack account and its orders' payments

Revision ID: 0022_order_payments
Revises: 0021_paystack_top_ups
Create Date: 2026-12-04
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import repdesk.db.types

revision: str = "0022_order_payments"
down_revision: str | Sequence[str] | None = "0021_paystack_top_ups"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_WHEN = repdesk.db.types.UTCDateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "payment_accounts",
        sa.Column("workspace_id", sa.String(length=32), nullable=False),
        sa.Column("paystack_key_enc", sa.Text(), nullable=True),
        sa.Column("mode", sa.String(length=4), nullable=True),
        sa.Column("webhook_path", sa.String(length=64), nullable=False),
        sa.Column("instructions", sa.Text(), nullable=False),
        sa.Column("updated_at", _WHEN, nullable=False),
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("created_at", _WHEN, nullable=False),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspaces.id"],
            name=op.f("fk_payment_accounts_workspace_id_workspaces"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_payment_accounts")),
        sa.UniqueConstraint("webhook_path", name=op.f("uq_payment_accounts_webhook_path")),
        sa.UniqueConstraint("workspace_id", name=op.f("uq_payment_accounts_workspace_id")),
    )
    op.create_table(
        "order_payments",
        sa.Column("workspace_id", sa.String(length=32), nullable=False),
        sa.Column("order_id", sa.String(length=32), nullable=False),
        sa.Column("reference", sa.String(length=100), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("email", sa.String(length=320), nullable=False),
        sa.Column("url", sa.String(length=500), nullable=False),
        sa.Column("state", sa.String(length=12), nullable=False),
        sa.Column("paystack_id", sa.BigInteger(), nullable=True),
        sa.Column("paid_at", _WHEN, nullable=True),
        sa.Column("refunded", sa.BigInteger(), nullable=False),
        sa.Column("problem", sa.String(length=300), nullable=True),
        sa.Column("updated_at", _WHEN, nullable=False),
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("created_at", _WHEN, nullable=False),
        sa.ForeignKeyConstraint(
            ["order_id"],
            ["orders.id"],
            name=op.f("fk_order_payments_order_id_orders"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspaces.id"],
            name=op.f("fk_order_payments_workspace_id_workspaces"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_order_payments")),
        sa.UniqueConstraint("reference", name=op.f("uq_order_payments_reference")),
    )
    op.create_index(op.f("ix_order_payments_order_id"), "order_payments", ["order_id"])
    op.create_index(op.f("ix_order_payments_workspace_id"), "order_payments", ["workspace_id"])
    # "partially_refunded" is longer than the old 12 (SQLite does not enforce lengths).
    if op.get_bind().dialect.name == "postgresql":
        op.alter_column("orders", "payment_status", type_=sa.String(length=20))


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.alter_column("orders", "payment_status", type_=sa.String(length=12))
    op.drop_index(op.f("ix_order_payments_workspace_id"), table_name="order_payments")
    op.drop_index(op.f("ix_order_payments_order_id"), table_name="order_payments")
    op.drop_table("order_payments")
    op.drop_table("payment_accounts")
