"""/api/assistants/{id}/orders and /api/orders/{id}: the orders the assistant took."""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, Query
from pydantic import Field

from repdesk.assistants.deps import AssistantDep
from repdesk.kit.money import MAX_MINOR_UNITS
from repdesk.kit.pagination import page
from repdesk.kit.schemas import CamelModel, StrictCamelModel
from repdesk.kit.web import PrincipalDep, SessionDep
from repdesk.orders import service
from repdesk.orders.schemas import OrderRead, OrderUpdate

router = APIRouter(tags=["orders"])


@router.get("/api/assistants/{assistant_id}/orders")
async def list_orders(
    assistant: AssistantDep,
    session: SessionDep,
    status: str | None = Query(default=None),
    payment_status: str | None = Query(default=None, alias="paymentStatus"),
    test: bool | None = Query(default=None),
    q: str | None = Query(default=None, max_length=100),
    limit: int | None = Query(default=None),
    cursor: str | None = Query(default=None, max_length=64),
) -> dict[str, Any]:
    """Orders taken by this assistant, newest first; filter by status, payment status, test
    (playground) orders and customer name or phone."""
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


class DeliveryOption(CamelModel):
    name: str = Field(min_length=1, max_length=80)
    method: Literal["delivery", "pickup"] = "delivery"
    # minor units; null: the team confirms it
    fee: int | None = Field(default=None, ge=0, le=MAX_MINOR_UNITS)
    areas: list[str] = Field(default_factory=list, max_length=100)


class DeliveryOptions(StrictCamelModel):
    options: list[DeliveryOption] = Field(max_length=20)


@router.get("/api/assistants/{assistant_id}/delivery-options", response_model=DeliveryOptions)
async def get_delivery_options(
    assistant: AssistantDep, session: SessionDep, principal: PrincipalDep
) -> DeliveryOptions:
    """How orders are delivered and what delivery costs; the assistant adds the fee of the
    option the customer's address selects to the order total."""
    return DeliveryOptions.model_validate({"options": service.delivery_options_of(assistant)})


@router.put("/api/assistants/{assistant_id}/delivery-options", response_model=DeliveryOptions)
async def put_delivery_options(
    assistant: AssistantDep, body: DeliveryOptions, session: SessionDep, principal: PrincipalDep
) -> DeliveryOptions:
    clean = await service.set_delivery_options(
        session, assistant, [o.model_dump() for o in body.options]
    )
    return DeliveryOptions.model_validate({"options": clean})
