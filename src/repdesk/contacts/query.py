"""The contact list's query: filters, search, sort and keyset pagination, one SQL statement
(the Contacts page, ``GET /api/assistants/{id}/contacts`` and the CSV export share it)."""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Select, and_, exists, func, literal, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import ColumnElement

from repdesk.contacts import computed
from repdesk.contacts.models import Contact, ContactTag
from repdesk.kit.errors import ValidationError
from repdesk.kit.pagination import check_limit
from repdesk.kit.time import utcnow

SORTS: dict[str, Any] = {
    "lastMessageAt": Contact.last_message_at,
    "createdAt": Contact.created_at,
    "name": Contact.name,
    "totalSpent": Contact.total_spent,
    "ordersCount": Contact.orders_count,
    "engagementScore": Contact.engagement_score,
    "messageCount": Contact.message_count,
    "lastContactedAt": Contact.last_contacted_at,
}
_DATES = {"lastMessageAt", "createdAt", "lastContactedAt"}
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass
class ContactFilter:
    """What the list shows. Every field is optional; all given ones must hold (AND)."""

    q: str | None = None
    tags: list[str] = field(default_factory=list)  # has every one of these tags
    without_tag: str | None = None
    opted_out: bool | None = None
    purchase_behaviour: str | None = None
    sentiment: str | None = None
    budget_range: str | None = None
    min_spent: int | None = None
    min_orders: int | None = None
    min_engagement: int | None = None
    max_engagement: int | None = None
    active_after: datetime | None = None  # last inbound after
    inactive_since: datetime | None = None  # no inbound since (or never)
    ids: list[str] | None = None

    def check(self) -> ContactFilter:
        if self.purchase_behaviour not in (None, *computed.PURCHASE_BEHAVIOURS):
            raise ValidationError(
                f"purchaseBehaviour must be one of {', '.join(computed.PURCHASE_BEHAVIOURS)}."
            )
        if self.sentiment not in (None, *computed.SENTIMENTS):
            raise ValidationError(f"sentiment must be one of {', '.join(computed.SENTIMENTS)}.")
        if self.budget_range not in (None, *computed.BUDGET_RANGES):
            raise ValidationError(
                f"budgetRange must be one of {', '.join(computed.BUDGET_RANGES)}."
            )
        for name, value in (
            ("minSpent", self.min_spent),
            ("minOrders", self.min_orders),
            ("minEngagement", self.min_engagement),
            ("maxEngagement", self.max_engagement),
        ):
            if value is not None and value < 0:
                raise ValidationError(f"{name} must not be negative.")
        if len(self.tags) > 10:
            raise ValidationError("tag: at most 10 tags.")
        return self


def conditions(
    assistant_id: str, f: ContactFilter, *, lapsed_days: int, now: datetime | None = None
) -> list[ColumnElement[bool]]:
    now = now or utcnow()
    out: list[ColumnElement[bool]] = [Contact.assistant_id == assistant_id]
    if f.q:
        like = "%" + f.q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        terms = [
            Contact.name.ilike(like, escape="\\"),
            Contact.email.ilike(like, escape="\\"),
            Contact.visitor_id.ilike(like, escape="\\"),
        ]
        digits = "".join(ch for ch in f.q if ch.isdigit())
        if len(digits) >= 3:
            terms.append(Contact.phone.like(f"%{digits}%"))
        out.append(or_(*terms))
    for tag in f.tags:
        out.append(
            exists().where(
                ContactTag.contact_id == Contact.id,
                ContactTag.assistant_id == assistant_id,
                ContactTag.tag == tag,
            )
        )
    if f.without_tag:
        out.append(
            ~exists().where(ContactTag.contact_id == Contact.id, ContactTag.tag == f.without_tag)
        )
    if f.opted_out is not None:
        out.append(Contact.opted_out.is_(f.opted_out))
    if f.purchase_behaviour:
        expr = computed.purchase_behaviour(now=now, lapsed_days=lapsed_days)
        out.append(expr == f.purchase_behaviour)
    if f.sentiment:
        out.append(Contact.sentiment == f.sentiment)
    if f.budget_range:
        out.append(Contact.budget_range == f.budget_range)
    if f.min_spent is not None:
        out.append(Contact.total_spent >= f.min_spent)
    if f.min_orders is not None:
        out.append(Contact.orders_count >= f.min_orders)
    if f.min_engagement is not None:
        out.append(Contact.engagement_score >= f.min_engagement)
    if f.max_engagement is not None:
        out.append(func.coalesce(Contact.engagement_score, 0) <= f.max_engagement)
    if f.active_after is not None:
        out.append(Contact.last_message_at >= f.active_after)
    if f.inactive_since is not None:
        out.append(
            or_(Contact.last_message_at.is_(None), Contact.last_message_at < f.inactive_since)
        )
    if f.ids is not None:
        out.append(Contact.id.in_(f.ids[:1000]))
    return out


def ids_query(
    assistant_id: str, f: ContactFilter, *, lapsed_days: int, now: datetime | None = None
) -> Select[Any]:
    """The ids of the contacts the filter matches (what an export takes)."""
    return select(Contact.id).where(*conditions(assistant_id, f, lapsed_days=lapsed_days, now=now))


def _sort_key(sort: str) -> tuple[str, Any, bool]:
    """(sort name, labelled key expression, descending). Nullable columns sort as a sentinel
    (the epoch, "", -1), so that the keyset comparison is total."""
    descending = sort.startswith("-")
    name = sort.removeprefix("-")
    if name not in SORTS:
        raise ValidationError(f"sort must be one of {', '.join(SORTS)} (a leading - for desc).")
    column = SORTS[name]
    sentinel: Any = {"name": "", "engagementScore": -1}.get(name, _EPOCH)
    key = column if not column.nullable else func.coalesce(column, literal(sentinel, column.type))
    return name, key.label("sort_key"), descending


def _encode(value: Any, contact_id: str) -> str:
    if isinstance(value, datetime):
        value = value.isoformat()
    raw = json.dumps([value, contact_id], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode(cursor: str, name: str) -> tuple[Any, str]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        value, contact_id = json.loads(raw)
        if not isinstance(contact_id, str) or len(contact_id) > 32:
            raise ValueError
        if name in _DATES:
            value = datetime.fromisoformat(value)
        elif name == "name":
            value = str(value)
        else:
            value = int(value)
        return value, contact_id
    except (ValueError, TypeError, binascii.Error, json.JSONDecodeError):
        raise ValidationError("cursor is not valid.") from None


async def list_page(
    session: AsyncSession,
    *,
    assistant_id: str,
    f: ContactFilter,
    lapsed_days: int,
    sort: str = "-lastMessageAt",
    limit: int | None = None,
    cursor: str | None = None,
) -> tuple[list[Contact], bool, str | None]:
    size = check_limit(limit)
    name, key, descending = _sort_key(sort or "-lastMessageAt")
    stmt = select(Contact, key).where(*conditions(assistant_id, f.check(), lapsed_days=lapsed_days))
    if cursor:
        if len(cursor) > 200:
            raise ValidationError("cursor is not valid.")
        value, after_id = _decode(cursor, name)
        base = key.element
        if descending:
            stmt = stmt.where(or_(base < value, and_(base == value, Contact.id < after_id)))
        else:
            stmt = stmt.where(or_(base > value, and_(base == value, Contact.id > after_id)))
    order = (key.desc(), Contact.id.desc()) if descending else (key.asc(), Contact.id.asc())
    rows = (await session.execute(stmt.order_by(*order).limit(size + 1))).all()
    has_more = len(rows) > size
    rows = rows[:size]
    nxt = _encode(rows[-1][1], rows[-1][0].id) if has_more and rows else None
    return [r[0] for r in rows], has_more, nxt


async def count(
    session: AsyncSession, *, assistant_id: str, f: ContactFilter, lapsed_days: int
) -> int:
    stmt = (
        select(func.count())
        .select_from(Contact)
        .where(*conditions(assistant_id, f.check(), lapsed_days=lapsed_days))
    )
    return int(await session.scalar(stmt) or 0)
