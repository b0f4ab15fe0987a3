"""/api/billing: the credit balance, the transaction history and credit top-ups."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from datetime import date, datetime, time, timedelta
from typing import Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import StreamingResponse

from repdesk.accounts.service import authenticate
from repdesk.billing import service, topups
from repdesk.billing.models import LedgerEntry, TopUpState
from repdesk.billing.paystack import PaystackUnavailable
from repdesk.billing.schemas import LedgerEntryRead, TopUpCreate, TopUpRead, TopUpStarted
from repdesk.events.service import workspace_topic
from repdesk.kit.errors import Forbidden, Unauthorized, ValidationError
from repdesk.kit.pagination import page, paginate
from repdesk.kit.time import ensure_utc
from repdesk.kit.web import SESSION_COOKIE, PrincipalDep, SessionDep, event_stream, sse_frame

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


@router.post("/top-ups", status_code=201, response_model=TopUpStarted)
async def create_top_up(
    body: TopUpCreate, session: SessionDep, principal: PrincipalDep
) -> TopUpStarted:
    """Buy credits: $1 = ₦1,000 = 100 credits, at least 100. GBP, EUR, CAD and AUD are charged
    the USD equivalent. Send the owner to ``authorizationUrl`` (Paystack's checkout); credits
    are added once Paystack confirms the payment."""
    if principal.role not in ("owner", "admin"):
        raise Forbidden("Only the workspace's owner or an admin can buy credits.")
    top_up = await topups.start(
        session,
        workspace_id=principal.workspace.id,
        email=principal.user.email,
        credits=body.credits,
        currency=body.currency,
    )
    return TopUpStarted.model_validate(top_up)


@router.get("/top-ups/{reference}", response_model=TopUpRead)
async def get_top_up(reference: str, session: SessionDep, principal: PrincipalDep) -> TopUpRead:
    """A top-up's state (pending, success, failed, abandoned, mismatch). A pending one is first
    verified with Paystack, and credited if it has been paid."""
    top_up = await topups.get_for_workspace_or_404(
        session, workspace_id=principal.workspace.id, reference=reference[:100]
    )
    if top_up.state == TopUpState.PENDING:
        # Paystack unreachable: reported as still pending (the webhook or the reconciliation
        # completes it).
        with contextlib.suppress(PaystackUnavailable):
            top_up = await topups.confirm(session, top_up.reference, source="status") or top_up
    return TopUpRead.model_validate(top_up)


@router.get(
    "/stream",
    response_class=StreamingResponse,
    responses={200: {"content": {"text/event-stream": {}}}},
)
async def stream(request: Request) -> StreamingResponse:
    """Server-sent events: the workspace's ``payment.*`` events (a top-up credited or held
    for a mismatch), each followed by ``event: balance`` with ``{"credits"}``, so the Billing
    page updates without a reload. A comment line every 15 s keeps proxies from closing it."""
    db = request.app.state.db
    async with db.transaction() as session:  # not held open by the stream
        raw = request.cookies.get(SESSION_COOKIE, "")
        principal = await authenticate(session, raw) if raw else None
        if principal is None:
            raise Unauthorized("Log in first.")
    workspace_id = principal.workspace.id

    async def frames(envelope: dict[str, Any]) -> AsyncIterator[bytes]:
        if not str(envelope.get("event", "")).startswith("payment."):
            return
        yield sse_frame(envelope)
        async with db.session() as s:
            credits = await service.balance(s, workspace_id)
        yield f'event: balance\ndata: {{"credits":{credits}}}\n\n'.encode()

    return event_stream(request, workspace_topic(workspace_id), frames)
