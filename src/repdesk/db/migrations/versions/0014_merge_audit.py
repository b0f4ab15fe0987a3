"""merge the audit heads (job schedules, money, accounts tokens, documents, WhatsApp scoping)

Revision ID: 0014_merge_audit
Revises: 0010_job_schedules, 0011_money_bigint, 0012_accounts_tokens,
    0012_knowledge_document_status, 0013_whatsapp_scoping
Create Date: 2026-12-03
"""

from __future__ import annotations

from collections.abc import Sequence

revision: str = "0014_merge_audit"
down_revision: str | Sequence[str] | None = (
    "0010_job_schedules",
    "0011_money_bigint",
    "0012_accounts_tokens",
    "0012_knowledge_document_status",
    "0013_whatsapp_scoping",
)
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
