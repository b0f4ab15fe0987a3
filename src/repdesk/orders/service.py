"""Orders: created by the engines when a customer confirms, managed by the owner.

The only writer of the ``orders`` table. Prices come from the catalog at the time of the order
and are stored on the order (integer minor units), so a later price change does not alter it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from repdesk.assistants import service as assistants
from repdesk.assistants.models import Assistant
from repdesk.events.service import emit
from repdesk.events.types import Event, OrderData
from repdesk.kit.errors import ValidationError
from repdesk.kit.money import MAX_MINOR_UNITS, check_minor_units
from repdesk.kit.pagination import paginate
from repdesk.kit.time import isoformat, utcnow
from repdesk.orders.models import (
    FULFILMENT_STATUSES,
    ORDER_STATUSES,
    PAYMENT_STATUSES,
    FulfilmentStatus,
    Order,
    OrderStatus,
    PaymentStatus,
)


@dataclass
class LineItem:
    name: str
    quantity: int
    unit_price: int
    product_id: str | None = None
    variant_id: str | None = None
    variant: str | None = None

    @property
    def line_total(self) -> int:
        return self.quantity * self.unit_price

    def as_dict(self) -> dict[str, Any]:
        return {
            "productId": self.product_id,
            "variantId": self.variant_id,
            "name": self.name,
            "variant": self.variant,
            "quantity": self.quantity,
            "unitPrice": self.unit_price,
            "lineTotal": self.line_total,
        }


@dataclass
class NewOrder:
    currency: str
    items: list[LineItem]
    delivery_fee: int = 0
    customer_name: str | None = None
    customer_phone: str | None = None
    delivery_address: str | None = None
    delivery_method: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def subtotal(self) -> int:
        return sum(i.line_total for i in self.items)

    @property
    def total(self) -> int:
        return self.subtotal + self.delivery_fee


def order_data(order: Order) -> OrderData:
    return OrderData(
        id=order.id,
        number=order.number,
        assistant_id=order.assistant_id,
        conversation_id=order.conversation_id,
        status=order.status,
        payment_status=order.payment_status,
        total=order.total,
        currency=order.currency,
        test=order.test,
    )


async def create(
    session: AsyncSession,
    *,
    assistant: Assistant,
    new: NewOrder,
    conversation_id: str | None = None,
    contact_id: str | None = None,
    test: bool = False,
) -> Order:
    if not new.items:
        raise ValidationError("An order needs at least one item.")
    for item in new.items:
        if item.quantity < 1 or item.unit_price < 0:
            raise ValidationError("Quantities must be positive and prices not negative.")
    for name, amount in (("deliveryFee", new.delivery_fee), ("total", new.total)):
        check_minor_units(amount, name)  # the total bounds every line and the subtotal
    last = await session.scalar(
        select(func.max(Order.number)).where(Order.assistant_id == assistant.id)
    )
    now = isoformat(utcnow())
    order = Order(
        assistant_id=assistant.id,
        conversation_id=conversation_id,
        contact_id=contact_id,
        number=int(last or 0) + 1,
        status=OrderStatus.PENDING,
        payment_status=PaymentStatus.UNPAID,
        fulfilment_status=FulfilmentStatus.UNFULFILLED,
        test=test,
        currency=new.currency,
        items=[i.as_dict() for i in new.items],
        subtotal=new.subtotal,
        delivery_fee=new.delivery_fee,
        total=new.total,
        customer_name=new.customer_name,
        customer_phone=new.customer_phone,
        delivery_address=new.delivery_address,
        delivery_method=new.delivery_method,
        notes=[],
        history=[{"at": now, "status": OrderStatus.PENDING.value, "by": "ai"}],
    )
    session.add(order)
    await session.flush()
    if not test:
        await emit(
            session,
            Event.ORDER_CREATED,
            order_data(order),
            workspace_id=assistant.workspace_id,
            assistant_id=assistant.id,
        )
    return order


def list_query(
    assistant_id: str,
    *,
    status: str | None = None,
    payment_status: str | None = None,
    test: bool | None = None,
    q: str | None = None,
) -> Select[Any]:
    stmt = select(Order).where(Order.assistant_id == assistant_id)
    if status:
        if status not in ORDER_STATUSES:
            raise ValidationError(f"status must be one of {', '.join(ORDER_STATUSES)}.")
        stmt = stmt.where(Order.status == status)
    if payment_status:
        if payment_status not in PAYMENT_STATUSES:
            raise ValidationError(f"paymentStatus must be one of {', '.join(PAYMENT_STATUSES)}.")
        stmt = stmt.where(Order.payment_status == payment_status)
    if test is not None:
        stmt = stmt.where(Order.test == test)
    if q:
        like = f"%{q.strip()[:100]}%"
        stmt = stmt.where(Order.customer_name.ilike(like) | Order.customer_phone.ilike(like))
    return stmt


async def list_page(
    session: AsyncSession,
    assistant_id: str,
    *,
    limit: int | None = None,
    cursor: str | None = None,
    **filters: Any,
) -> tuple[Sequence[Order], bool, str | None]:
    stmt = list_query(assistant_id, **filters)
    return await paginate(session, stmt, id_column=Order.id, limit=limit, cursor=cursor)


async def get_for_workspace(session: AsyncSession, *, workspace_id: str, order_id: str) -> Order:
    return await assistants.get_in_workspace(
        session, Order, order_id, workspace_id=workspace_id, missing="Order not found."
    )


async def update(
    session: AsyncSession,
    order: Order,
    *,
    by: str,
    status: str | None = None,
    payment_status: str | None = None,
    fulfilment_status: str | None = None,
    note: str | None = None,
) -> Order:
    now = isoformat(utcnow())
    history = list(order.history or [])
    if status is not None:
        if status not in ORDER_STATUSES:
            raise ValidationError(f"status must be one of {', '.join(ORDER_STATUSES)}.")
        if status != order.status:
            history.append({"at": now, "status": status, "by": by})
            order.status = status
    if payment_status is not None:
        if payment_status not in PAYMENT_STATUSES:
            raise ValidationError(f"paymentStatus must be one of {', '.join(PAYMENT_STATUSES)}.")
        if payment_status != order.payment_status:
            history.append({"at": now, "paymentStatus": payment_status, "by": by})
            order.payment_status = payment_status
    if fulfilment_status is not None:
        if fulfilment_status not in FULFILMENT_STATUSES:
            raise ValidationError(
                f"fulfilmentStatus must be one of {', '.join(FULFILMENT_STATUSES)}."
            )
        if fulfilment_status != order.fulfilment_status:
            history.append({"at": now, "fulfilmentStatus": fulfilment_status, "by": by})
            order.fulfilment_status = fulfilment_status
    if note:
        order.notes = [*(order.notes or []), {"at": now, "by": by, "text": note.strip()}]
    order.history = history
    await session.flush()
    assistant = await session.get(Assistant, order.assistant_id)
    if assistant is not None and not order.test:
        await emit(
            session,
            Event.ORDER_UPDATED,
            order_data(order),
            workspace_id=assistant.workspace_id,
            assistant_id=assistant.id,
        )
    return order


# -- delivery options (the assistant's "delivery" settings section) ---------------------------

MAX_DELIVERY_OPTIONS = 20


def clean_delivery_options(raw: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Validate delivery options: name, method (delivery|pickup), fee in minor units (or None
    when the team confirms it), areas (words in an address that select this option)."""
    if len(raw) > MAX_DELIVERY_OPTIONS:
        raise ValidationError(f"At most {MAX_DELIVERY_OPTIONS} delivery options.")
    out = []
    for i, opt in enumerate(raw):
        name = str(opt.get("name") or "").strip()[:80]
        method = str(opt.get("method") or "delivery")
        fee = opt.get("fee")
        if not name:
            raise ValidationError(f"deliveryOptions[{i}].name: required")
        if method not in ("delivery", "pickup"):
            raise ValidationError(f"deliveryOptions[{i}].method: delivery or pickup")
        if fee is not None and (not isinstance(fee, int) or isinstance(fee, bool)):
            raise ValidationError(f"deliveryOptions[{i}].fee: a non-negative integer (minor units)")
        if fee is not None:
            check_minor_units(fee, f"deliveryOptions[{i}].fee")
        areas = [str(a).strip().lower()[:60] for a in (opt.get("areas") or []) if str(a).strip()]
        out.append({"name": name, "method": method, "fee": fee, "areas": areas[:100]})
    return out


def delivery_options_of(assistant: Assistant) -> list[dict[str, Any]]:
    section = (assistant.settings or {}).get("delivery")
    if isinstance(section, dict):
        section = section.get("options")
    return [o for o in (section or []) if isinstance(o, dict)]


async def set_delivery_options(
    session: AsyncSession, assistant: Assistant, options: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    clean = clean_delivery_options(options)
    await assistants.update_settings(session, assistant, "delivery", {"options": clean})
    return clean


def parse_delivery_lines(text: str) -> list[dict[str, Any]]:
    """The page's textarea: ``name | delivery or pickup | fee (e.g. 2500 or 2,500.00, empty:
    confirmed by the team) | areas, comma separated`` per line."""
    out: list[dict[str, Any]] = []
    for n, line in enumerate(ln for ln in text.splitlines() if ln.strip()):
        parts = [p.strip() for p in line.split("|")]
        parts += [""] * (4 - len(parts))
        fee_text = parts[2].replace(",", "").replace("₦", "").strip()
        fee: int | None = None
        if fee_text:
            try:
                amount = Decimal(fee_text)
            except InvalidOperation as exc:
                raise ValidationError(f"line {n + 1}: the fee is not a number") from exc
            if not amount.is_finite() or amount < 0 or amount > Decimal(MAX_MINOR_UNITS) / 100:
                raise ValidationError(
                    f"line {n + 1}: the fee is an amount from 0 to {MAX_MINOR_UNITS // 100:,}"
                )
            fee = int(amount.scaleb(2).to_integral_value())
        out.append(
            {
                "name": parts[0],
                "method": parts[1].lower() or "delivery",
                "fee": fee,
                "areas": [a for a in parts[3].split(",") if a.strip()],
            }
        )
    return out
