from __future__ import annotations

from datetime import datetime

from pydantic import Field

from repdesk.kit.money import MinorUnits
from repdesk.kit.schemas import CamelModel, StrictCamelModel


class VariantIn(StrictCamelModel):
    name: str = Field(min_length=1, max_length=120)
    price: MinorUnits | None = Field(
        default=None, description="Minor units; null: the product's price"
    )
    available: bool = True


class ProductCreate(StrictCamelModel):
    name: str = Field(min_length=1, max_length=200)
    description: str = Field(default="", max_length=20000)
    price: MinorUnits = Field(description="Integer minor units (kobo, cents), at most 10^15")
    currency: str = Field(default="NGN", min_length=3, max_length=3)
    available: bool = True
    images: list[str] = Field(default_factory=list, max_length=20)
    variants: list[VariantIn] = Field(default_factory=list, max_length=100)


class ProductUpdate(StrictCamelModel):
    name: str | None = Field(default=None, min_length=1, max_length=200)
    description: str | None = Field(default=None, max_length=20000)
    price: MinorUnits | None = None
    currency: str | None = Field(default=None, min_length=3, max_length=3)
    available: bool | None = None
    images: list[str] | None = Field(default=None, max_length=20)
    variants: list[VariantIn] | None = Field(default=None, max_length=100)


class ImageUrlIn(StrictCamelModel):
    url: str = Field(min_length=1, max_length=1000)


class VariantRead(CamelModel):
    id: str
    name: str
    price: int = Field(description="Effective price in minor units")
    available: bool


class ProductRead(CamelModel):
    id: str
    assistant_id: str
    name: str
    description: str
    price: int
    currency: str
    available: bool
    images: list[str]
    variants: list[VariantRead]
    created_at: datetime
    updated_at: datetime


class ImportResult(CamelModel):
    created: int
    updated: int
