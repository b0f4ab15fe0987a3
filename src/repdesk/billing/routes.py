"""/api/billing: the credit balance and the transaction history."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any

from fastapi import APIRouter, Query

from repdesk.billing import service
from repdesk.billing.models import LedgerEntry
from repdesk.billing.schemas import LedgerEntryRead
from repdesk.kit.errors import ValidationError
from repdesk.kit.pagination import page, paginate
from repdesk.kit.time import ensure_utc
from repdesk.kit.web import PrincipalDep, SessionDep

router = APIRouter(prefix="/api/billing", tags=["billing"])


def day_start(value: date | None) -> datetime | None:
    return ensure_utc(datetime.combine(value, time.min)) if value else None


def day_end(value: date | None) -> datetime | None:
    return ensure_utc(datetime.combine(value + timedelta(days=1), time.min)) if value else None


@router.get("/transactions")
async def list_transactions(
    session: SessionDep,
    principal: PrincipalDep,
    type: str | None = Query(default=None, description="grant, purchase, usage or refund"),
    since: date | None = Query(default=None, alias="from"),
    until: date | None = Query(default=None, alias="to"),
    limit: int | None = None,
    cursor: str | None = Query(default=None, max_length=64),
) -> dict[str, Any]:
    """Credit transactions, newest first: date, type, amount and the balance after each."""
    if since and until and until < since:
        raise ValidationError("to must not be before from.")
    stmt = service.transactions_query(
        principal.workspace.id, kind=type or None, since=day_start(since), until=day_end(until)
    )
    rows, has_more, nxt = await paginate(
        session, stmt, id_column=LedgerEntry.id, limit=limit, cursor=cursor
    )
    items = [LedgerEntryRead.model_validate(r).model_dump(by_alias=True, mode="json") for r in rows]
    return page(items, has_more, nxt)


@router.get("/balance")
async def get_balance(session: SessionDep, principal: PrincipalDep) -> dict[str, int]:
    return {"credits": await service.balance(session, principal.workspace.id)}
