"""/api/assistants/{id}/orders and /api/orders/{id}: the orders the assistant took."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Query

from repdesk.assistants import service as assistants
from repdesk.kit.pagination import page
from repdesk.kit.web import PrincipalDep, SessionDep
from repdesk.orders import service
from repdesk.orders.schemas import OrderRead, OrderUpdate

router = APIRouter(tags=["orders"])


@router.get("/api/assistants/{assistant_id}/orders")
async def list_orders(
    assistant_id: str,
    session: SessionDep,
    principal: PrincipalDep,
    status: str | None = Query(default=None),
    payment_status: str | None = Query(default=None, alias="paymentStatus"),
    test: bool | None = Query(default=None),
    q: str | None = Query(default=None, max_length=100),
    limit: int | None = Query(default=None),
    cursor: str | None = Query(default=None, max_length=64),
) -> dict[str, Any]:
    """Orders taken by this assistant, newest first; filter by status, payment status, test
    (playground) orders and customer name or phone."""
    assistant = await assistants.get_or_404(
        session, workspace_id=principal.workspace.id, assistant_id=assistant_id
    )
    rows, has_more, nxt = await service.list_page(
        session,
        assistant.id,
        limit=limit,
        cursor=cursor,
        status=status,
        payment_status=payment_status,
        test=test,
        q=q,
    )
    items = [OrderRead.model_validate(o).model_dump(by_alias=True, mode="json") for o in rows]
    return page(items, has_more, nxt)


@router.get("/api/orders/{order_id}", response_model=OrderRead)
async def get_order(order_id: str, session: SessionDep, principal: PrincipalDep) -> OrderRead:
    order = await service.get_for_workspace(
        session, workspace_id=principal.workspace.id, order_id=order_id
    )
    return OrderRead.model_validate(order)


@router.patch("/api/orders/{order_id}", response_model=OrderRead)
async def update_order(
    order_id: str, body: OrderUpdate, session: SessionDep, principal: PrincipalDep
) -> OrderRead:
    """Update status (pending, confirmed, shipped, delivered, cancelled), payment status,
    fulfilment, or add a note."""
    order = await service.get_for_workspace(
        session, workspace_id=principal.workspace.id, order_id=order_id
    )
    await service.update(
        session,
        order,
        by=principal.user.id,
        status=body.status,
        payment_status=body.payment_status,
        fulfilment_status=body.fulfilment_status,
        note=body.note,
    )
    return OrderRead.model_validate(order)
