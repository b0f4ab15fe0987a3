"""A segment filter compiled to one SQL condition over ``contacts`` (SQLAlchemy Core).

Nothing is evaluated contact by contact: the condition goes into the query that counts, lists
or selects the ids. Relative dates resolve against ``now`` at compile time, so the same stored
filter matches different contacts as days pass.

Semantics a shop owner would expect: ``neq`` also matches contacts where the value is not set
("sentiment is not negative" includes contacts with no sentiment yet); ``before``/``after``/
comparisons never match an unset value.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any

from pydantic import TypeAdapter
from pydantic import ValidationError as PydanticValidationError
from sqlalchemy import (
    ColumnElement,
    Float,
    String,
    and_,
    case,
    exists,
    func,
    literal,
    not_,
    or_,
    select,
    true,
)

from repdesk.contacts import computed
from repdesk.contacts.models import Contact, ContactTag
from repdesk.db.base import table_of
from repdesk.kit.errors import ValidationError
from repdesk.orders.models import Order, OrderStatus
from repdesk.segments import filters as f
from repdesk.segments.sqljson import (
    items_have_product,
    json_bool,
    json_number,
    json_present,
    json_text,
)

contacts = table_of(Contact)
contact_tags = table_of(ContactTag)
orders = table_of(Order)

DEFAULT_LAPSED_DAYS = computed.DEFAULT_LAPSED_DAYS
WINDOW = timedelta(hours=24)  # WhatsApp's customer service window


@dataclass(frozen=True)
class Context:
    """What a compile needs besides the filter. ``currency`` None: money filters are not
    checked against the assistant's currency (no session to look it up)."""

    now: datetime
    # The assistant whose contacts are filtered: it narrows the tag lookups to their index.
    assistant_id: str | None = None
    lapsed_days: int = DEFAULT_LAPSED_DAYS
    currency: str | None = None
    attribute_types: dict[str, str] = field(default_factory=dict)


def purchase_behaviour_expr(now: datetime, lapsed_days: int) -> ColumnElement[str]:
    """never | one_time | repeat | lapsed: the contacts domain's one formula."""
    return computed.purchase_behaviour(now=now, lapsed_days=lapsed_days)


def _channel_expr() -> ColumnElement[str]:
    c = contacts.c
    return case((c.phone.is_not(None), literal("whatsapp")), else_=literal("widget"))


def _column(name: str, ctx: Context) -> ColumnElement[Any]:
    c = contacts.c
    columns: dict[str, ColumnElement[Any]] = {
        "lastMessageAt": c.last_message_at,
        "lastContactedAt": c.last_contacted_at,
        "firstSeenAt": c.created_at,
        "lastOrderAt": c.last_order_at,
        "engagementScore": c.engagement_score,
        "interactionCount": c.message_count,
        "conversationsCount": c.conversations_count,
        "totalOrders": c.orders_count,
        "sentimentScore": c.sentiment_score,
        "totalSpent": c.total_spent,
        "totalPaid": c.total_paid,
        "sentiment": c.sentiment,
        "budgetRange": c.budget_range,
        "optedOut": c.opted_out,
        "name": c.name,
        "email": c.email,
        "phone": c.phone,
        "language": c.language,
    }
    if name == "purchaseBehaviour":
        return purchase_behaviour_expr(ctx.now, ctx.lapsed_days)
    if name == "channel":
        return _channel_expr()
    return columns[name]


def _compare(col: ColumnElement[Any], op: str, value: Any) -> ColumnElement[bool]:
    if op == "neq":
        return or_(col != value, col.is_(None))
    compared: ColumnElement[bool] = {
        "eq": col.__eq__,
        "gt": col.__gt__,
        "gte": col.__ge__,
        "lt": col.__lt__,
        "lte": col.__le__,
    }[op](value)
    return compared


def _float(value: float) -> ColumnElement[float]:
    # Typed as a float, so 2.5 compares with an integer column (asyncpg refuses to bind 2.5
    # as the column's integer type).
    return literal(value, Float())


def _presence(col: ColumnElement[Any], op: str) -> ColumnElement[bool]:
    return col.is_not(None) if op == "is_set" else col.is_(None)


def _has_tag(tags: Sequence[str], ctx: Context) -> ColumnElement[bool]:
    ct = contact_tags.c
    cond = ct.tag == tags[0] if len(tags) == 1 else ct.tag.in_(list(tags))
    if ctx.assistant_id is not None:
        cond = and_(ct.assistant_id == ctx.assistant_id, cond)  # ix_contact_tags_assistant_tag
    return exists().where(ct.contact_id == contacts.c.id, cond)


def _ordered(products: Sequence[str]) -> ColumnElement[bool]:
    o = orders.c
    lines = or_(*(items_have_product(o["items"], literal(p, String())) for p in products))
    return exists().where(
        o.contact_id == contacts.c.id,
        o.status != OrderStatus.CANCELLED.value,
        o.test.is_(False),
        lines,
    )


def _money(cond: f.MoneyCompare | f.MoneyBetween, ctx: Context, where: str) -> ColumnElement[bool]:
    values = cond.value if isinstance(cond, f.MoneyBetween) else (cond.value,)
    for money in values:
        if ctx.currency is not None and money.currency != ctx.currency:
            raise ValidationError(
                f"{where}: value.currency: this assistant's amounts are in {ctx.currency}"
            )
    c = contacts.c
    if cond.field == "averageOrderValue":
        # total / count compared without division: exact in integers, and never / 0.
        def scaled(amount: int) -> ColumnElement[Any]:
            return amount * c.orders_count

        base: ColumnElement[Any] = c.total_spent
        has_orders = c.orders_count > 0
        if isinstance(cond, f.MoneyBetween):
            lo, hi = sorted(m.amount for m in cond.value)
            return and_(has_orders, base >= scaled(lo), base <= scaled(hi))
        amount = cond.value.amount
        if cond.op == "neq":
            return or_(not_(has_orders), base != scaled(amount))
        return and_(has_orders, _compare(base, cond.op, scaled(amount)))
    col = _column(cond.field, ctx)
    if isinstance(cond, f.MoneyBetween):
        lo, hi = sorted(m.amount for m in cond.value)
        return col.between(lo, hi)
    return _compare(col, cond.op, cond.value.amount)


def _dates(cond: Any, col: ColumnElement[Any], ctx: Context) -> ColumnElement[bool]:
    if isinstance(cond, f.DatePresence):
        return _presence(col, cond.op)
    if isinstance(cond, f.DateWithin):
        return col >= ctx.now - cond.value.delta()
    if isinstance(cond, f.DateBetween):
        lo, hi = sorted(f.resolve_date(v, ctx.now) for v in cond.value)
        return col.between(lo, hi)
    when = f.resolve_date(cond.value, ctx.now)
    return col < when if cond.op == "before" else col > when


def condition_sql(cond: f.AnyCondition, ctx: Context, where: str) -> ColumnElement[bool]:
    if isinstance(cond, f.AttributeCondition):
        return _attribute(cond, ctx, where)
    if isinstance(cond, f.MoneyCompare | f.MoneyBetween):
        return _money(cond, ctx, where)
    if isinstance(cond, f.TagsHas):
        has = _has_tag([cond.value], ctx)
        return has if cond.op == "has" else not_(has)
    if isinstance(cond, f.TagsIn):
        return _has_tag(cond.value, ctx)
    if isinstance(cond, f.TagsPresence):
        any_tag = exists().where(contact_tags.c.contact_id == contacts.c.id)
        return any_tag if cond.op == "is_set" else not_(any_tag)
    if isinstance(cond, f.ProductHas):
        return _ordered([cond.value]) if cond.op == "has" else not_(_ordered([cond.value]))
    if isinstance(cond, f.ProductIn):
        return _ordered(cond.value)
    if isinstance(cond, f.BooleanCompare) and cond.field == "windowOpen":
        # Open: the last inbound message is under 24 hours old (a plain range on the column).
        is_open = contacts.c.last_message_at >= ctx.now - WINDOW
        wanted = cond.value if cond.op == "eq" else not cond.value
        return is_open if wanted else or_(not_(is_open), contacts.c.last_message_at.is_(None))
    col = _column(cond.field, ctx)
    if isinstance(cond, f.DateCompare | f.DateBetween | f.DateWithin | f.DatePresence):
        return _dates(cond, col, ctx)
    if isinstance(cond, f.NumberPresence | f.EnumPresence | f.TextPresence):
        return _presence(col, cond.op)
    if isinstance(cond, f.NumberBetween):
        lo, hi = sorted(cond.value)
        return col.between(_float(lo), _float(hi))
    if isinstance(cond, f.NumberIn):
        return col.in_([_float(v) for v in cond.value])
    if isinstance(cond, f.NumberCompare):
        return _compare(col, cond.op, _float(cond.value))
    if isinstance(cond, f.EnumIn | f.TextIn):
        return col.in_(list(cond.value))
    if isinstance(cond, f.BooleanCompare):
        return col == cond.value if cond.op == "eq" else col != cond.value
    if isinstance(cond, f.TextCompare) and cond.op == "contains":
        return func.lower(col).contains(cond.value.lower(), autoescape=True)
    return _compare(col, cond.op, cond.value)


# -- custom attributes ----------------------------------------------------------------------

_NUM = TypeAdapter(f.Number)
_TEXT = TypeAdapter(f.Text)
_BOOL = TypeAdapter(bool)
_DATE = TypeAdapter(f.DateValue)
_VALUES: dict[str, dict[str, TypeAdapter[Any]]] = {
    "number": {
        **dict.fromkeys(("eq", "neq", "gt", "gte", "lt", "lte"), _NUM),
        "between": TypeAdapter(tuple[f.Number, f.Number]),
        "in": TypeAdapter(list[f.Number]),
    },
    "text": {
        **dict.fromkeys(("eq", "neq", "contains"), _TEXT),
        "in": TypeAdapter(list[f.Text]),
    },
    "boolean": {"eq": _BOOL, "neq": _BOOL},
    "date": {
        "before": _DATE,
        "after": _DATE,
        "between": TypeAdapter(tuple[f.DateValue, f.DateValue]),
        "within": TypeAdapter(f.Duration),
    },
}
_VALUES["choice"] = {k: v for k, v in _VALUES["text"].items() if k != "contains"}


def attribute_type(cond: f.AttributeCondition, defined: dict[str, str]) -> str:
    """The type a custom attribute filter compares as: the attribute's definition
    (``contact_attribute_definitions``) when there is one, else the value's JSON type."""
    if cond.key in defined:
        return defined[cond.key]
    value = cond.value
    sample = value[0] if isinstance(value, list) and value else value
    if cond.op in ("before", "after", "within") or isinstance(sample, dict):
        return "date"
    if cond.op == "between" and isinstance(sample, str):
        return "date"
    if isinstance(sample, bool):
        return "boolean"
    if isinstance(sample, int | float):
        return "number"
    return "text"


def _attribute(cond: f.AttributeCondition, ctx: Context, where: str) -> ColumnElement[bool]:
    col, key = contacts.c.attributes, literal(cond.key, String())
    if cond.op in ("is_set", "is_not_set"):
        present = json_present(col, key)
        return present if cond.op == "is_set" else not_(present)
    kind = attribute_type(cond, ctx.attribute_types)
    adapter = _VALUES.get(kind, _VALUES["text"]).get(cond.op)
    if adapter is None:
        allowed = ", ".join([*_VALUES.get(kind, _VALUES["text"]), "is_set", "is_not_set"])
        raise ValidationError(
            f"{where}: operator {cond.op!r} does not apply to a {kind} attribute; use {allowed}"
        )
    try:
        value = adapter.validate_python(cond.value)
    except PydanticValidationError as exc:
        raise ValidationError(f"{where}: value: {exc.errors()[0]['msg']}") from None
    if kind == "number":
        target: ColumnElement[Any] = json_number(col, key)
    elif kind == "boolean":
        target, value = json_bool(col, key), "true" if value else "false"
    else:
        target = json_text(col, key)
    if kind == "date":
        # Stored as ISO 8601 text: compared on the date part.
        day: ColumnElement[str] = func.substr(target, 1, 10)
        if cond.op == "within":
            since: str = (ctx.now - value.delta()).date().isoformat()
            return day >= since
        if cond.op == "between":
            lo, hi = sorted(f.resolve_date(v, ctx.now).date().isoformat() for v in value)
            return day.between(lo, hi)
        bound = f.resolve_date(value, ctx.now).date().isoformat()
        return day < bound if cond.op == "before" else day > bound
    if cond.op == "between":
        lo, hi = sorted(value)
        return target.between(lo, hi)
    if cond.op == "in":
        return target.in_(list(value))
    if cond.op == "contains":
        return func.lower(target).contains(str(value).lower(), autoescape=True)
    return _compare(target, cond.op, value)


# -- the whole filter -----------------------------------------------------------------------


def filter_sql(flt: f.SegmentFilter, ctx: Context, prefix: str = "filter") -> ColumnElement[bool]:
    """One boolean SQL expression over ``contacts`` for the whole filter."""
    parts: list[ColumnElement[bool]] = []
    for i, item in enumerate(flt.all):
        if isinstance(item, f.AnyGroup):
            parts.append(
                or_(
                    *(
                        condition_sql(c, ctx, f"{prefix}.all[{i}].any[{j}] ({c.field})")
                        for j, c in enumerate(item.any)
                    )
                )
            )
        else:
            parts.append(condition_sql(item, ctx, f"{prefix}.all[{i}] ({item.field})"))
    return and_(true(), *parts)


def contact_ids(assistant_id: str, flt: f.SegmentFilter, ctx: Context) -> Any:
    """``SELECT contacts.id`` of the assistant's contacts matching the filter."""
    if ctx.assistant_id != assistant_id:
        ctx = replace(ctx, assistant_id=assistant_id)
    return select(contacts.c.id).where(
        contacts.c.assistant_id == assistant_id, filter_sql(flt, ctx)
    )
