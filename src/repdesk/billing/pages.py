"""The Billing pages: the balance, credit top-ups (packages or a custom amount, paid on
Paystack's checkout), Paystack's return, the transaction history and printable receipts."""

from __future__ import annotations

from datetime import date
from typing import Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from repdesk.billing import prices, topups
from repdesk.billing import service as billing
from repdesk.billing.config import get_paystack_settings
from repdesk.billing.models import LedgerEntry, TopUpState
from repdesk.billing.paystack import PaystackError
from repdesk.billing.routes import day_end, day_start
from repdesk.dashboard.render import render
from repdesk.kit.errors import AppError, NotFound
from repdesk.kit.money import format_money
from repdesk.kit.pagination import paginate
from repdesk.kit.web import PagePrincipalDep, SessionDep

pages = APIRouter(include_in_schema=False)


def package_prices(currencies: list[str]) -> list[dict[str, Any]]:
    """Each package, priced in each offered currency (GBP & co. show their USD charge)."""
    out = []
    for credits in prices.CREDIT_PACKAGES:
        shown = {}
        for code in currencies:
            charged = prices.charge_currency(code)
            shown[code] = format_money(prices.topup_amount(credits, charged), charged)
        out.append({"credits": credits, "prices": shown})
    return out


@pages.get("/billing")
async def billing_page(
    request: Request,
    session: SessionDep,
    principal: PagePrincipalDep,
    type: str = "",
    since: str = Query(default="", alias="from"),
    until: str = Query(default="", alias="to"),
    cursor: str | None = None,
) -> Response:
    filters: dict[str, Any] = {"type": type, "from": since, "to": until}
    error = ""
    rows: list[Any] = []
    has_more, nxt = False, None
    try:
        d_from = date.fromisoformat(since) if since else None
        d_to = date.fromisoformat(until) if until else None
        stmt = billing.transactions_query(
            principal.workspace.id, kind=type or None, since=day_start(d_from), until=day_end(d_to)
        )
        found, has_more, nxt = await paginate(
            session, stmt, id_column=LedgerEntry.id, limit=50, cursor=cursor
        )
        rows = list(found)
    except (ValueError, AppError) as exc:
        error = exc.message if isinstance(exc, AppError) else "Dates must look like 2025-01-31."
    balance = await billing.balance(session, principal.workspace.id)
    currencies = topups.offered_currencies()
    recent = await topups.recent(session, principal.workspace.id, limit=10)
    ctx = {
        "entries": rows,
        "filters": filters,
        "has_more": has_more,
        "next_cursor": nxt,
        "balance": balance,
        "filter_error": error,
        "topups_available": get_paystack_settings().configured and bool(currencies),
        "can_buy": principal.role in ("owner", "admin"),
        "currencies": currencies,
        "usd_equivalent": prices.USD_EQUIVALENT,
        "packages": package_prices(currencies),
        "min_credits": prices.MIN_TOPUP_CREDITS,
        "top_ups": recent,
        "receipt_prefix": topups.ledger_reference(""),
    }
    return render(request, "billing.html", ctx)


@pages.get(topups.RETURN_PATH)
async def top_up_return(
    request: Request,
    session: SessionDep,
    principal: PagePrincipalDep,
    reference: str = Query(default="", max_length=100),
    trxref: str = Query(default="", max_length=100),
) -> Response:
    """Where Paystack sends the owner back (``?reference=…&trxref=…``): verify, credit once,
    and say what happened."""
    ref = reference or trxref
    top_up = await topups.get_for_workspace_or_404(
        session, workspace_id=principal.workspace.id, reference=ref
    )
    unreachable = ""
    try:
        top_up = await topups.confirm(session, top_up.reference, source="return") or top_up
    except PaystackError as exc:
        # Paystack's webhook, or the reconciliation, completes it later.
        unreachable = exc.message
    balance = await billing.balance(session, principal.workspace.id)
    ctx = {"top_up": top_up, "balance": balance, "unreachable": unreachable}
    return render(request, "billing/top_up_result.html", ctx)


@pages.get("/billing/receipts/{reference}")
async def receipt_page(
    reference: str, request: Request, session: SessionDep, principal: PagePrincipalDep
) -> Response:
    """A printable receipt of a paid top-up."""
    top_up = await topups.get_for_workspace_or_404(
        session, workspace_id=principal.workspace.id, reference=reference[:100]
    )
    if top_up.state != TopUpState.SUCCESS:
        raise NotFound("This top-up has not been paid, so it has no receipt.")
    ctx = {"top_up": top_up, "workspace": principal.workspace, "user": principal.user}
    return render(request, "billing/receipt.html", ctx)
