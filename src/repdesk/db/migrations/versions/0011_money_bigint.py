"""money: 64-bit integer columns for prices, order amounts and credit balances

PostgreSQL's INTEGER is 32-bit: a price of 2^31 kobo (about ₦21.5M) did not fit. SQLite's
INTEGER is already 64-bit, so there is nothing to change there.

Revision ID: 0011_money_bigint
Revises: 0009_stored_files_sha256
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011_money_bigint"
down_revision: str | Sequence[str] | None = "0009_stored_files_sha256"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

COLUMNS = [
    ("products", "price", False),
    ("product_variants", "price", True),
    ("orders", "subtotal", False),
    ("orders", "delivery_fee", False),
    ("orders", "total", False),
    ("workspaces", "credits", False),
    ("ledger_entries", "amount", False),
    ("ledger_entries", "balance_after", False),
]


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for table, column, nullable in COLUMNS:
        op.alter_column(
            table,
            column,
            type_=sa.BigInteger(),
            existing_type=sa.Integer(),
            existing_nullable=nullable,
        )


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for table, column, nullable in COLUMNS:
        op.alter_column(
            table,
            column,
            type_=sa.Integer(),
            existing_type=sa.BigInteger(),
            existing_nullable=nullable,
        )
