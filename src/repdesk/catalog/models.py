"""Products and their variants. Prices are integer minor units (kobo, cents)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Boolean, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from repdesk.db.base import Base, IdMixin, JSONType, TimestampMixin
from repdesk.db.types import UTCDateTime
from repdesk.kit.time import utcnow


class Product(IdMixin, TimestampMixin, Base):
    __tablename__ = "products"

    assistant_id: Mapped[str] = mapped_column(
        ForeignKey("assistants.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    price: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    available: Mapped[bool] = mapped_column(Boolean, default=True)
    # Image URLs: external (https://…) or uploaded (/api/files/{id}).
    images: Mapped[list[str]] = mapped_column(JSONType, default=list)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)

    variants: Mapped[list[ProductVariant]] = relationship(
        lazy="raise",
        order_by="ProductVariant.position",
        cascade="all, delete-orphan",
        passive_deletes=True,
    )


class ProductVariant(IdMixin, Base):
    """A size, colour or the like. ``price`` None means the product's price."""

    __tablename__ = "product_variants"

    product_id: Mapped[str] = mapped_column(
        ForeignKey("products.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(120))
    price: Mapped[int | None] = mapped_column(BigInteger)
    available: Mapped[bool] = mapped_column(Boolean, default=True)
    position: Mapped[int] = mapped_column(Integer, default=0)
