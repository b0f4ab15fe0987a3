from __future__ import annotations

from enum import StrEnum
from typing import Any

from sqlalchemy import BigInteger, Boolean, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from repdesk.db.base import Base, IdMixin, JSONType, TimestampMixin


class OrderStatus(StrEnum):
    PENDING = "pending"
    CONFIRMED = "confirmed"
    SHIPPED = "shipped"
    DELIVERED = "delivered"
    CANCELLED = "cancelled"


class PaymentStatus(StrEnum):
    UNPAID = "unpaid"
    PENDING = "pending"
    PAID = "paid"
    PARTIALLY_REFUNDED = "partially_refunded"
    REFUNDED = "refunded"
    MISMATCH = "mismatch"  # Paystack was paid something else than the order: for a person


class FulfilmentStatus(StrEnum):
    UNFULFILLED = "unfulfilled"
    PACKED = "packed"
    OUT_FOR_DELIVERY = "out_for_delivery"
    FULFILLED = "fulfilled"
    RETURNED = "returned"


ORDER_STATUSES = tuple(OrderStatus)
PAYMENT_STATUSES = tuple(PaymentStatus)
FULFILMENT_STATUSES = tuple(FulfilmentStatus)


class Order(IdMixin, TimestampMixin, Base):
    """An order confirmed by a customer in a conversation (or in the playground: ``test``).

    ``items`` holds what was ordered as it was priced at the time: product and variant ids and
    names, quantity, unit price and line total in integer minor units.
    """

    __tablename__ = "orders"
    __table_args__ = (Index("ix_orders_assistant_id", "assistant_id", "id"),)

    assistant_id: Mapped[str] = mapped_column(ForeignKey("assistants.id", ondelete="CASCADE"))
    conversation_id: Mapped[str | None] = mapped_column(
        ForeignKey("conversations.id", ondelete="SET NULL")
    )
    contact_id: Mapped[str | None] = mapped_column(ForeignKey("contacts.id", ondelete="SET NULL"))
    number: Mapped[int] = mapped_column(Integer)  # per assistant, shown to people
    status: Mapped[str] = mapped_column(String(12), default="pending")
    payment_status: Mapped[str] = mapped_column(String(20), default="unpaid")
    fulfilment_status: Mapped[str] = mapped_column(String(20), default="unfulfilled")
    test: Mapped[bool] = mapped_column(Boolean, default=False)
    currency: Mapped[str] = mapped_column(String(3))
    items: Mapped[list[dict[str, Any]]] = mapped_column(JSONType, default=list)
    subtotal: Mapped[int] = mapped_column(BigInteger, default=0)
    delivery_fee: Mapped[int] = mapped_column(BigInteger, default=0)
    total: Mapped[int] = mapped_column(BigInteger, default=0)
    customer_name: Mapped[str | None] = mapped_column(String(200))
    customer_phone: Mapped[str | None] = mapped_column(String(40))
    delivery_address: Mapped[str | None] = mapped_column(Text)
    delivery_method: Mapped[str | None] = mapped_column(String(40))
    notes: Mapped[list[dict[str, Any]]] = mapped_column(JSONType, default=list)
    history: Mapped[list[dict[str, Any]]] = mapped_column(JSONType, default=list)
