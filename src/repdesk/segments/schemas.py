from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from pydantic import Field, ValidatorFunctionWrapHandler, WrapValidator
from pydantic import ValidationError as PydanticValidationError
from pydantic_core import PydanticCustomError

from repdesk.kit.schemas import CamelModel, StrictCamelModel
from repdesk.segments.filters import SegmentFilter, describe_error


def _named_errors(value: Any, handler: ValidatorFunctionWrapHandler) -> Any:
    """One error naming the condition (``all[1].any[0] (totalSpent): …``) instead of
    Pydantic's list of every union branch that did not match."""
    try:
        return handler(value)
    except PydanticValidationError as exc:
        message = describe_error(value, exc).removeprefix("filter.").removeprefix("filter: ")
        raise PydanticCustomError("segment_filter", "{message}", {"message": message}) from None


FilterIn = Annotated[SegmentFilter, WrapValidator(_named_errors)]

SPENT_OVER_50K: dict[str, Any] = {
    "all": [{"field": "totalSpent", "op": "gt", "value": {"amount": 5_000_000, "currency": "NGN"}}]
}
INACTIVE_2_WEEKS: dict[str, Any] = {
    "all": [{"field": "lastMessageAt", "op": "before", "value": {"ago": {"days": 14}}}]
}
VIP_OR_REPEAT: dict[str, Any] = {
    "all": [
        {"field": "optedOut", "op": "eq", "value": False},
        {
            "any": [
                {"field": "tags", "op": "has", "value": "vip"},
                {"field": "purchaseBehaviour", "op": "eq", "value": "repeat"},
            ]
        },
        {"field": "lastMessageAt", "op": "within", "value": {"days": 30}},
    ]
}
FILTER_EXAMPLES: dict[str, Any] = {
    "spent": {
        "summary": "Customers who spent over ₦50,000",
        "value": {"name": "Customers who spent over ₦50,000", "filter": SPENT_OVER_50K},
    },
    "inactive": {
        "summary": "Contacts inactive for 2 weeks",
        "value": {"name": "Contacts inactive for 2 weeks", "filter": INACTIVE_2_WEEKS},
    },
    "group": {
        "summary": "VIPs or repeat buyers active this month (an OR group)",
        "value": {"name": "Active VIPs and repeat buyers", "filter": VIP_OR_REPEAT},
    },
}
PREVIEW_EXAMPLES: dict[str, Any] = {
    key: {"summary": ex["summary"], "value": {"filter": ex["value"]["filter"]}}
    for key, ex in FILTER_EXAMPLES.items()
}


class SegmentPreviewIn(StrictCamelModel):
    filter: FilterIn


class SegmentCreate(StrictCamelModel):
    name: str = Field(min_length=1, max_length=120)
    filter: FilterIn


class SegmentUpdate(StrictCamelModel):
    name: str | None = Field(default=None, min_length=1, max_length=120)
    filter: FilterIn | None = None


class SegmentContact(CamelModel):
    id: str
    name: str | None
    phone: str | None
    visitor_id: str | None
    email: str | None
    tags: list[str]
    opted_out: bool
    last_message_at: datetime | None
    total_spent: int = Field(description="Minor units, orders that are not cancelled")
    orders_count: int
    engagement_score: int | None
    created_at: datetime


class SegmentPreview(CamelModel):
    count: int
    sample: list[SegmentContact] = Field(
        description="Up to 10 matching contacts (a sample, not the newest)"
    )


class SegmentReference(CamelModel):
    kind: str = Field(examples=["broadcast"])
    id: str
    name: str


class SegmentRead(CamelModel):
    id: str
    assistant_id: str
    name: str
    filter: dict[str, Any]
    count: int | None = Field(
        description="Contacts matching now; null when the stored filter no longer applies "
        "(an attribute's type or the currency changed)"
    )
    created_at: datetime
    updated_at: datetime
