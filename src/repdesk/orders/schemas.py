from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import Field

from repdesk.kit.schemas import CamelModel, StrictCamelModel
from repdesk.orders.models import FulfilmentStatus, OrderStatus, PaymentStatus


class OrderItem(CamelModel):
    product_id: str | None = None
    variant_id: str | None = None
    name: str
    variant: str | None = None
    quantity: int
    unit_price: int
    line_total: int


class OrderRead(CamelModel):
    id: str
    assistant_id: str
    conversation_id: str | None
    contact_id: str | None
    number: int
    status: str
    payment_status: str
    fulfilment_status: str
    test: bool
    currency: str
    items: list[OrderItem]
    subtotal: int
    delivery_fee: int
    total: int
    customer_name: str | None
    customer_phone: str | None
    delivery_address: str | None
    delivery_method: str | None
    notes: list[dict[str, Any]]
    history: list[dict[str, Any]]
    created_at: datetime


class OrderUpdate(StrictCamelModel):
    status: OrderStatus | None = None
    payment_status: PaymentStatus | None = None
    fulfilment_status: FulfilmentStatus | None = None
    note: str | None = Field(default=None, min_length=1, max_length=2000)
