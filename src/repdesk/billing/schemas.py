from __future__ import annotations

from datetime import datetime

from repdesk.kit.schemas import CamelModel


class LedgerEntryRead(CamelModel):
    id: str
    kind: str
    amount: int
    balance_after: int
    reason: str
    reference: str
    description: str
    created_at: datetime
