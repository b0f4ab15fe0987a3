"""The segment filter: one JSON shape, validated as a typed structure.

``{"all": [condition | {"any": [condition, …]}, …]}`` with ``condition = {"field", "op",
"value"}``. The field picks the field's type (a discriminated union on ``field``), the type's
operator picks the value's shape (a discriminated union on ``op``). Anything else is refused
with a message naming the condition by its place: ``all[1].any[0]``.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any, Literal, get_args

from pydantic import (
    BaseModel,
    ConfigDict,
    Discriminator,
    Field,
    Tag,
    TypeAdapter,
    model_validator,
)
from pydantic import ValidationError as PydanticValidationError

from repdesk.kit.errors import ValidationError
from repdesk.kit.money import MinorUnits

MAX_CONDITIONS = 50
MAX_ITEMS = 20
MAX_LIST = 100
ATTRIBUTE_KEY = re.compile(r"^[A-Za-z0-9_\-]{1,64}$")
ATTRIBUTE_FIELD = r"^attributes\.[A-Za-z0-9_\-]{1,64}$"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


# -- values ---------------------------------------------------------------------------------


class Duration(_Strict):
    """A span of time: ``{"days": 14}`` (``hours`` and ``weeks`` too, added together)."""

    days: int = Field(default=0, ge=0, le=36_500)
    hours: int = Field(default=0, ge=0, le=876_000)
    weeks: int = Field(default=0, ge=0, le=5_200)

    @model_validator(mode="after")
    def _positive(self) -> Duration:
        if not (self.days or self.hours or self.weeks):
            raise ValueError("give days, hours or weeks above 0")
        return self

    def delta(self) -> timedelta:
        return timedelta(days=self.days + 7 * self.weeks, hours=self.hours)


class Ago(_Strict):
    """A moment relative to when the segment is used: ``{"ago": {"days": 14}}``."""

    ago: Duration


def _date_kind(value: Any) -> str:
    return "relative" if isinstance(value, dict | Ago) else "absolute"


# An absolute moment (ISO 8601; a bare date means its midnight UTC) or a relative one.
DateValue = Annotated[
    Annotated[datetime, Tag("absolute")] | Annotated[Ago, Tag("relative")],
    Discriminator(_date_kind),
]
Number = Annotated[float, Field(allow_inf_nan=False, ge=-(10**15), le=10**15)]
Text = Annotated[str, Field(min_length=1, max_length=200)]


class Money(_Strict):
    """An amount in integer minor units (kobo, cents) and its ISO 4217 currency."""

    amount: MinorUnits
    currency: str = Field(pattern=r"^[A-Z]{3}$")


def resolve_date(value: datetime | Ago, now: datetime) -> datetime:
    """The moment a date value names when the segment is used at ``now``."""
    if isinstance(value, Ago):
        return now - value.ago.delta()
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


# -- fields and their types -----------------------------------------------------------------

DateField = Literal["lastMessageAt", "lastContactedAt", "firstSeenAt", "lastOrderAt"]
NumberField = Literal[
    "engagementScore", "interactionCount", "conversationsCount", "totalOrders", "sentimentScore"
]
MoneyField = Literal["totalSpent", "totalPaid", "averageOrderValue"]
EnumField = Literal["sentiment", "purchaseBehaviour", "budgetRange", "channel"]
BooleanField = Literal["optedOut", "windowOpen"]
TextField = Literal["name", "email", "phone", "language"]

ENUM_VALUES: dict[str, tuple[str, ...]] = {
    "sentiment": ("positive", "neutral", "negative"),
    "purchaseBehaviour": ("never", "one_time", "repeat", "lapsed"),
    "budgetRange": ("low", "mid", "high"),
    "channel": ("whatsapp", "widget"),
}

FIELD_TYPES: dict[str, str] = {
    **dict.fromkeys(get_args(DateField), "date"),
    **dict.fromkeys(get_args(NumberField), "number"),
    **dict.fromkeys(get_args(MoneyField), "money"),
    **dict.fromkeys(get_args(EnumField), "enum"),
    **dict.fromkeys(get_args(BooleanField), "boolean"),
    **dict.fromkeys(get_args(TextField), "text"),
    "tags": "tags",
    "orderedProduct": "product",
}
Presence = Literal["is_set", "is_not_set"]
Compare = Literal["eq", "neq", "gt", "gte", "lt", "lte"]

# -- conditions, one class per (type, value shape) ------------------------------------------


class DateCompare(_Strict):
    field: DateField
    op: Literal["before", "after"]
    value: DateValue


class DateBetween(_Strict):
    field: DateField
    op: Literal["between"]
    value: tuple[DateValue, DateValue]


class DateWithin(_Strict):
    """In the last ``value`` (``{"days": 30}``) before the segment is used."""

    field: DateField
    op: Literal["within"]
    value: Duration


class DatePresence(_Strict):
    field: DateField
    op: Presence
    value: None = None


class NumberCompare(_Strict):
    field: NumberField
    op: Compare
    value: Number


class NumberBetween(_Strict):
    field: NumberField
    op: Literal["between"]
    value: tuple[Number, Number]


class NumberIn(_Strict):
    field: NumberField
    op: Literal["in"]
    value: list[Number] = Field(min_length=1, max_length=MAX_LIST)


class NumberPresence(_Strict):
    field: NumberField
    op: Presence
    value: None = None


class MoneyCompare(_Strict):
    field: MoneyField
    op: Compare
    value: Money


class MoneyBetween(_Strict):
    field: MoneyField
    op: Literal["between"]
    value: tuple[Money, Money]


def _check_choices(field: str, values: list[str]) -> None:
    allowed = ENUM_VALUES[field]
    for v in values:
        if v not in allowed:
            raise ValueError(f"{v!r} is not one of {', '.join(allowed)}")


class EnumCompare(_Strict):
    field: EnumField
    op: Literal["eq", "neq"]
    value: Text

    @model_validator(mode="after")
    def _known(self) -> EnumCompare:
        _check_choices(self.field, [self.value])
        return self


class EnumIn(_Strict):
    field: EnumField
    op: Literal["in"]
    value: list[Text] = Field(min_length=1, max_length=MAX_LIST)

    @model_validator(mode="after")
    def _known(self) -> EnumIn:
        _check_choices(self.field, self.value)
        return self


class EnumPresence(_Strict):
    field: EnumField
    op: Presence
    value: None = None


class BooleanCompare(_Strict):
    field: BooleanField
    op: Literal["eq", "neq"]
    value: bool


class TagsHas(_Strict):
    field: Literal["tags"]
    op: Literal["has", "not_has"]
    value: Text


class TagsIn(_Strict):
    """Has any of these tags."""

    field: Literal["tags"]
    op: Literal["in"]
    value: list[Text] = Field(min_length=1, max_length=MAX_LIST)


class TagsPresence(_Strict):
    """Has any tag at all (``is_set``), or none (``is_not_set``)."""

    field: Literal["tags"]
    op: Presence
    value: None = None


class ProductHas(_Strict):
    """Has (or has never) ordered this product (a catalog product id); cancelled and test
    orders do not count."""

    field: Literal["orderedProduct"]
    op: Literal["has", "not_has"]
    value: Text


class ProductIn(_Strict):
    field: Literal["orderedProduct"]
    op: Literal["in"]
    value: list[Text] = Field(min_length=1, max_length=MAX_LIST)


class TextCompare(_Strict):
    """``contains`` ignores case; ``eq`` and ``neq`` are exact."""

    field: TextField
    op: Literal["eq", "neq", "contains"]
    value: Text


class TextIn(_Strict):
    field: TextField
    op: Literal["in"]
    value: list[Text] = Field(min_length=1, max_length=MAX_LIST)


class TextPresence(_Strict):
    field: TextField
    op: Presence
    value: None = None


Scalar = bool | int | float | str | None


class AttributeCondition(_Strict):
    """A custom attribute: ``attributes.<key>``. Its type is the attribute's definition, or
    else the value's JSON type; the operator and value are checked against it."""

    field: str = Field(pattern=ATTRIBUTE_FIELD, examples=["attributes.city"])
    op: Literal[
        "eq", "neq", "gt", "gte", "lt", "lte", "between", "in", "contains",
        "before", "after", "within", "is_set", "is_not_set",
    ]  # fmt: skip
    value: Scalar | list[Scalar] | dict[str, Any] = None

    @property
    def key(self) -> str:
        return self.field.removeprefix("attributes.")


def _op(name: str) -> Discriminator:
    return Discriminator("op", custom_error_type="bad_operator", custom_error_message=name)


DateCondition = Annotated[
    DateCompare | DateBetween | DateWithin | DatePresence, Field(discriminator="op")
]
NumberCondition = Annotated[
    NumberCompare | NumberBetween | NumberIn | NumberPresence, Field(discriminator="op")
]
MoneyCondition = Annotated[MoneyCompare | MoneyBetween, Field(discriminator="op")]
EnumCondition = Annotated[EnumCompare | EnumIn | EnumPresence, Field(discriminator="op")]
TagsCondition = Annotated[TagsHas | TagsIn | TagsPresence, Field(discriminator="op")]
ProductCondition = Annotated[ProductHas | ProductIn, Field(discriminator="op")]
TextCondition = Annotated[TextCompare | TextIn | TextPresence, Field(discriminator="op")]


def _field_type(value: Any) -> str | None:
    if isinstance(value, BaseModel):
        value = {"field": getattr(value, "field", None)}
    if not isinstance(value, dict):
        return None
    field = value.get("field")
    if not isinstance(field, str):
        return None
    if field.startswith("attributes."):
        return "attribute"
    return FIELD_TYPES.get(field)


Condition = Annotated[
    Annotated[DateCondition, Tag("date")]
    | Annotated[NumberCondition, Tag("number")]
    | Annotated[MoneyCondition, Tag("money")]
    | Annotated[EnumCondition, Tag("enum")]
    | Annotated[BooleanCompare, Tag("boolean")]
    | Annotated[TagsCondition, Tag("tags")]
    | Annotated[ProductCondition, Tag("product")]
    | Annotated[TextCondition, Tag("text")]
    | Annotated[AttributeCondition, Tag("attribute")],
    Discriminator(
        _field_type, custom_error_type="unknown_field", custom_error_message="unknown field"
    ),
]

# Typed conditions, as the compiler sees them.
AnyCondition = (
    DateCompare | DateBetween | DateWithin | DatePresence | NumberCompare | NumberBetween
    | NumberIn | NumberPresence | MoneyCompare | MoneyBetween | EnumCompare | EnumIn
    | EnumPresence | BooleanCompare | TagsHas | TagsIn | TagsPresence | ProductHas | ProductIn
    | TextCompare | TextIn | TextPresence | AttributeCondition
)  # fmt: skip


class AnyGroup(_Strict):
    """Matches when at least one of its conditions does."""

    any: list[Condition] = Field(min_length=1, max_length=MAX_ITEMS)


def _item_kind(value: Any) -> str:
    if isinstance(value, AnyGroup) or (isinstance(value, dict) and "any" in value):
        return "group"
    return "condition"


Item = Annotated[
    Annotated[Condition, Tag("condition")] | Annotated[AnyGroup, Tag("group")],
    Discriminator(_item_kind),
]


class SegmentFilter(_Strict):
    """Every item of ``all`` must match (an empty list matches every contact)."""

    all: list[Item] = Field(default_factory=list, max_length=MAX_ITEMS)

    @model_validator(mode="after")
    def _bounded(self) -> SegmentFilter:
        if sum(len(i.any) if isinstance(i, AnyGroup) else 1 for i in self.all) > MAX_CONDITIONS:
            raise ValueError(f"at most {MAX_CONDITIONS} conditions in all")
        return self

    def conditions(self) -> list[AnyCondition]:
        out: list[AnyCondition] = []
        for item in self.all:
            out.extend(item.any if isinstance(item, AnyGroup) else [item])
        return out


_FILTER = TypeAdapter(SegmentFilter)
_TYPE_TAGS = {*FIELD_TYPES.values(), "attribute"}


def describe_error(raw: Any, exc: PydanticValidationError, prefix: str = "filter") -> str:
    """The first error, named by the condition's place: ``filter.all[1].any[0] (totalSpent):
    …``."""
    err = exc.errors(include_url=False)[0]
    loc = list(err.get("loc", ()))
    path, node = prefix, raw
    i = 0
    while i + 1 < len(loc) and loc[i] in ("all", "any") and isinstance(loc[i + 1], int):
        idx = int(loc[i + 1])
        items = node.get(str(loc[i])) if isinstance(node, dict) else None
        node = items[idx] if isinstance(items, list) and idx < len(items) else None
        path += f".{loc[i]}[{idx}]"
        i += 2
        if i < len(loc) and loc[i] in ("condition", "group"):
            i += 1
    kind = err.get("type", "")
    if not isinstance(node, dict):
        if path == prefix:
            return f"{prefix}: {'.'.join(map(str, loc))}: {err['msg']}".replace(": : ", ": ")
        return f"{path}: a condition {{field, op, value}} or a group {{any: [...]}}"
    field = node.get("field")
    if kind == "unknown_field":
        shown = repr(field)[:80] if field is not None else "missing"
        return f"{path}: unknown field {shown}; see the filter fields in the API reference"
    where = f"{path} ({field})" if isinstance(field, str) else path
    if i < len(loc) and loc[i] in _TYPE_TAGS:
        i += 1
    op = node.get("op")
    if kind in ("union_tag_invalid", "union_tag_not_found") and i == len(loc):
        if op is None:
            return f"{where}: op is required"
        allowed = re.findall(r"'([a-z_]+)'", str(err["msg"]))[2:]
        return f"{where}: operator {str(op)[:20]!r} does not apply; use {', '.join(allowed)}"
    if i < len(loc) and loc[i] == op:
        i += 1
    rest = [str(p) for p in loc[i:] if p not in ("absolute", "relative")]
    if rest == ["op"]:
        return f"{where}: operator {str(op)[:20]!r} does not apply ({err['msg']})"
    message = str(err.get("msg", "invalid"))
    return f"{where}{': ' + '.'.join(rest) if rest else ''}: {message}"


def parse_filter(raw: Any, prefix: str = "filter") -> SegmentFilter:
    """The typed filter, or a 400 ``VALIDATION_ERROR`` naming the bad condition."""
    if isinstance(raw, SegmentFilter):
        return raw
    try:
        return _FILTER.validate_python(raw)
    except PydanticValidationError as exc:
        raise ValidationError(describe_error(raw, exc, prefix)) from None
