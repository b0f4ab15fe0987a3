"""The Orders page: list with filters, one order with status, payment, fulfilment and notes."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import Response

from repdesk.assistants import service as assistants
from repdesk.assistants.deps import PageAssistantDep
from repdesk.contacts.models import Contact
from repdesk.dashboard import nav
from repdesk.dashboard.render import back_on_error, redirect, render
from repdesk.kit.web import PagePrincipalDep, SessionDep
from repdesk.orders import service
from repdesk.orders.models import FULFILMENT_STATUSES, ORDER_STATUSES, PAYMENT_STATUSES
from repdesk.payments import orders as order_payments

pages = APIRouter(include_in_schema=False)
nav.add_assistant("Orders", "/orders", 40)


@pages.get("/assistants/{assistant_id}/orders")
async def orders_page(
    assistant: PageAssistantDep,
    request: Request,
    session: SessionDep,
    status: str = Query(default=""),
    payment: str = Query(default=""),
    test: str = Query(default=""),
    q: str = Query(default="", max_length=100),
    cursor: str | None = Query(default=None, max_length=64),
) -> Response:
    filters = {
        "status": status if status in ORDER_STATUSES else None,
        "payment_status": payment if payment in PAYMENT_STATUSES else None,
        "test": {"yes": True, "no": False}.get(test),
        "q": q or None,
    }
    rows, has_more, nxt = await service.list_page(
        session, assistant.id, limit=50, cursor=cursor, **filters
    )
    return render(
        request,
        "orders/list.html",
        {
            "assistant": assistant,
            "orders": rows,
            "has_more": has_more,
            "next_cursor": nxt,
            "f": {"status": status, "payment": payment, "test": test, "q": q},
            "statuses": ORDER_STATUSES,
            "payments": PAYMENT_STATUSES,
            "delivery_lines": _delivery_lines(service.delivery_options_of(assistant)),
        },
    )


def _delivery_lines(options: list[dict[str, Any]]) -> str:
    lines = []
    for o in options:
        fee = "" if o.get("fee") is None else f"{o['fee'] / 100:.2f}".removesuffix(".00")
        lines.append(f"{o['name']} | {o['method']} | {fee} | {', '.join(o.get('areas') or [])}")
    return "\n".join(lines)


@pages.post("/assistants/{assistant_id}/orders/delivery")
async def delivery_submit(
    assistant: PageAssistantDep,
    request: Request,
    session: SessionDep,
    options: Annotated[str, Form(max_length=20000)] = "",
) -> Response:
    url = f"/assistants/{assistant.id}/orders"
    back_on_error(request, url)
    await service.set_delivery_options(session, assistant, service.parse_delivery_lines(options))
    return redirect(url, flash="Delivery options saved.")


@pages.get("/assistants/{assistant_id}/orders/{order_id}")
async def order_page(
    assistant: PageAssistantDep,
    order_id: str,
    request: Request,
    session: SessionDep,
    principal: PagePrincipalDep,
) -> Response:
    order = await service.get_for_workspace(
        session, workspace_id=principal.workspace.id, order_id=order_id
    )
    contact = await session.get(Contact, order.contact_id) if order.contact_id else None
    payment = await order_payments.latest(session, order.id)
    return render(
        request,
        "orders/detail.html",
        {
            "assistant": assistant,
            "order": order,
            "contact": contact,
            "payment": payment,
            "statuses": ORDER_STATUSES,
            "payments": PAYMENT_STATUSES,
            "fulfilments": FULFILMENT_STATUSES,
        },
    )


@pages.post("/assistants/{assistant_id}/orders/{order_id}")
async def order_update(
    assistant_id: str,
    order_id: str,
    request: Request,
    session: SessionDep,
    principal: PagePrincipalDep,
    status: Annotated[str, Form()] = "",
    payment_status: Annotated[str, Form()] = "",
    fulfilment_status: Annotated[str, Form()] = "",
    note: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    url = f"/assistants/{assistant_id}/orders/{order_id}"
    await assistants.get_or_404(
        session, workspace_id=principal.workspace.id, assistant_id=assistant_id
    )
    order = await service.get_for_workspace(
        session, workspace_id=principal.workspace.id, order_id=order_id
    )
    back_on_error(request, url)
    await service.update(
        session,
        order,
        by=principal.user.id,
        status=status or None,
        payment_status=payment_status or None,
        fulfilment_status=fulfilment_status or None,
        note=note.strip() or None,
    )
    return redirect(url, flash="Order updated.")
