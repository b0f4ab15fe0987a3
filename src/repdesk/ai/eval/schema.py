"""The shape of an evaluation v2 business file (``sets/v2/<split>/<business>.json``).

A file holds one business as its owner would type it (knowledge text, FAQs and policies,
products with variants in minor units, delivery options, documents to upload) and what its
customers ask: single questions with the facts a correct reply must contain, and order
conversations with the exact order they must produce. The checks below catch a file whose
expected answers do not follow from its own data (a total that is not the catalog's sum).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Literal, get_args

from pydantic import BaseModel, ConfigDict, Field, model_validator

Category = Literal[
    "worded_like_data", "paraphrase", "pidgin_texting", "unanswerable", "adversarial"
]
CATEGORIES: tuple[str, ...] = get_args(Category)


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


def _unique(values: Iterable[str], message: str) -> None:
    seen = list(values)
    if len(set(seen)) != len(seen):
        raise ValueError(message)


class VariantIn(_Strict):
    name: str
    price: int | None = Field(default=None, ge=0)
    available: bool = True


class ProductIn(_Strict):
    name: str
    description: str = ""
    price: int = Field(ge=0)
    available: bool = True
    variants: list[VariantIn] = Field(default_factory=list)

    def price_of(self, variant: str | None) -> int:
        for v in self.variants:
            if v.name == variant:
                return self.price if v.price is None else v.price
        if variant is not None:
            raise ValueError(f"{self.name} has no variant {variant!r}")
        return self.price


class TextIn(_Strict):
    title: str
    content: str


class FaqIn(_Strict):
    question: str
    answer: str
    category: Literal["general", "shipping", "returns", "hours", "payment", "other"] = "general"


class DeliveryIn(_Strict):
    name: str
    method: Literal["delivery", "pickup"]
    fee: int | None = Field(default=None, ge=0)
    areas: list[str] = Field(default_factory=list)


class DocumentIn(_Strict):
    filename: str
    format: Literal["txt", "docx", "pdf"]
    title: str = ""
    content: str  # lines; the runner writes the file in ``format``


class Question(_Strict):
    id: str
    text: str
    category: Category
    expect: Literal["answer", "handoff"]
    amounts: list[int] = Field(default_factory=list)  # minor units the reply must state
    contains: list[str] = Field(default_factory=list)  # every one must appear
    contains_any: list[list[str]] = Field(default_factory=list)  # one of each group
    not_contains: list[str] = Field(default_factory=list)
    not_amounts: list[int] = Field(default_factory=list)
    handoff_ok: bool = False  # a handoff alongside the facts is not a failure
    note: str = ""

    @model_validator(mode="after")
    def _check(self) -> Question:
        if self.category == "unanswerable" and self.expect != "handoff":
            raise ValueError(f"{self.id}: an unanswerable question expects a handoff")
        if self.expect == "answer" and not (self.amounts or self.contains or self.contains_any):
            raise ValueError(f"{self.id}: an answer needs facts to check (amounts/contains)")
        return self


class ItemOut(_Strict):
    product: str
    variant: str | None = None
    quantity: int = Field(ge=1)


class OrderOut(_Strict):
    items: list[ItemOut]
    delivery_method: Literal["delivery", "pickup"]
    delivery_fee: int = Field(ge=0)
    total: int = Field(ge=0)
    customer_name: str
    customer_phone: str
    delivery_address: str | None = None


OrderTag = Literal[
    "one_at_a_time",
    "all_in_one",
    "details_first",
    "multi_item",
    "quantity_correction",
    "variant_correction",
    "pickup_to_delivery",
    "pickup_phrase",
    "name_phrase",
    "pidgin_texting",
    "plus_234_phone",
]
ORDER_TAGS: tuple[str, ...] = get_args(OrderTag)


class OrderCase(_Strict):
    id: str
    tags: list[OrderTag] = Field(default_factory=list)  # how the order is said (for the report)
    turns: list[str] = Field(min_length=2)
    confirm_turn: int = -1  # the turn whose reply must create the order (default: the last)
    expect: OrderOut
    note: str = ""

    @property
    def confirm_index(self) -> int:
        return self.confirm_turn % len(self.turns)


class Business(_Strict):
    id: str
    split: Literal["tune", "heldout"]
    type: str
    name: str
    country: str = "NG"
    currency: str = "NGN"
    platform: Literal["whatsapp", "widget"] = "whatsapp"
    knowledge: list[TextIn] = Field(default_factory=list)
    faqs: list[FaqIn] = Field(default_factory=list)
    products: list[ProductIn] = Field(default_factory=list)
    delivery: list[DeliveryIn] = Field(default_factory=list)
    documents: list[DocumentIn] = Field(default_factory=list)
    questions: list[Question] = Field(default_factory=list)
    orders: list[OrderCase] = Field(default_factory=list)

    def product(self, name: str) -> ProductIn:
        for p in self.products:
            if p.name == name:
                return p
        raise ValueError(f"{self.id}: no product {name!r}")

    @model_validator(mode="after")
    def _consistent(self) -> Business:
        _unique((p.name for p in self.products), f"{self.id}: product names repeat")
        ids = [q.id for q in self.questions] + [o.id for o in self.orders]
        _unique(ids, f"{self.id}: case ids repeat")
        for o in self.orders:
            e = o.expect
            subtotal = sum(
                self.product(i.product).price_of(i.variant) * i.quantity for i in e.items
            )
            fees = {d.fee for d in self.delivery if d.method == e.delivery_method}
            if e.delivery_fee not in fees and not (e.delivery_fee == 0 and None in fees):
                raise ValueError(f"{o.id}: delivery fee {e.delivery_fee} is no option's fee")
            if subtotal + e.delivery_fee != e.total:
                raise ValueError(f"{o.id}: total {e.total} != {subtotal} + {e.delivery_fee}")
            if e.delivery_method == "delivery" and not e.delivery_address:
                raise ValueError(f"{o.id}: a delivery needs its address")
        return self
