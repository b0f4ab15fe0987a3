"""CSV export of any list of an assistant's contacts: it takes a SELECT of contact ids (the
list's filters, a selection, or a segment's query) and writes one row per contact, its tags
and custom attributes, in keyset batches. The columns re-import as they are (phone, name,
email, tags, then one column per attribute key)."""

from __future__ import annotations

import csv
import io
from datetime import datetime
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession

from repdesk.assistants.models import Assistant
from repdesk.contacts import attributes as attribute_defs
from repdesk.contacts import computed
from repdesk.contacts import tags as contact_tags
from repdesk.contacts.models import Contact
from repdesk.kit.time import isoformat, utcnow

BATCH = 2000
MAX_ROWS = 200_000
COLUMNS = (
    "phone",
    "name",
    "email",
    "tags",
    "id",
    "visitorId",
    "optedOut",
    "firstSeen",
    "messageCount",
    "lastMessageAt",
    "outboundCount",
    "lastContactedAt",
    "conversationsCount",
    "ordersCount",
    "totalSpent",
    "totalPaid",
    "averageOrderValue",
    "lastOrderAt",
    "purchaseBehaviour",
    "budgetRange",
    "sentiment",
    "sentimentScore",
    "engagementScore",
)


def _safe(value: Any) -> str:
    """A cell a spreadsheet will not run as a formula."""
    if value is None:
        return ""
    text = str(value)
    if text[:1] in ("=", "@", "\t", "\r") or (text[:1] in "+-" and not text[1:2].isdigit()):
        return "'" + text
    return text


def _when(value: datetime | None) -> str:
    return (isoformat(value) or "") if value is not None else ""


def _major(minor: int | None) -> str:
    return "" if minor is None else f"{minor / 100:.2f}"


async def export_csv(session: AsyncSession, assistant: Assistant, ids: Select[Any]) -> str:
    """The CSV text of the assistant's contacts whose ids ``ids`` selects."""
    now = utcnow()
    lapsed = computed.lapsed_days_of(assistant.settings)
    keys = [d.key for d in await attribute_defs.list_for(session, assistant.id)]
    rows: list[tuple[list[str], dict[str, Any]]] = []
    extra_keys: list[str] = []
    last_id = ""
    while len(rows) < MAX_ROWS:
        batch = list(
            await session.scalars(
                select(Contact)
                .where(
                    Contact.assistant_id == assistant.id,
                    Contact.id.in_(ids),
                    Contact.id > last_id,
                )
                .order_by(Contact.id)
                .limit(BATCH)
            )
        )
        if not batch:
            break
        last_id = batch[-1].id
        tags = await contact_tags.tags_of(session, [c.id for c in batch])
        for c in batch:
            for key in c.attributes or {}:
                if key not in keys and key not in extra_keys:
                    extra_keys.append(key)
            rows.append(_row(c, tags[c.id], now=now, lapsed=lapsed))
        for c in batch:  # a large export must not keep every contact in the session
            session.expunge(c)
    attribute_keys = keys + extra_keys
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([*COLUMNS, *attribute_keys])
    for row, attrs in rows:
        writer.writerow([*row, *(_cell(attrs.get(k)) for k in attribute_keys)])
    return out.getvalue()


def _cell(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return _safe(value)


def _row(
    c: Contact, tags: list[str], *, now: datetime, lapsed: int
) -> tuple[list[str], dict[str, Any]]:
    values = [
        c.phone or "",
        _safe(c.name),
        _safe(c.email),
        _safe(", ".join(tags)),
        c.id,
        _safe(c.visitor_id),
        "true" if c.opted_out else "false",
        _when(c.created_at),
        str(c.message_count or 0),
        _when(c.last_message_at),
        str(c.outbound_count or 0),
        _when(c.last_contacted_at),
        str(c.conversations_count or 0),
        str(c.orders_count or 0),
        _major(c.total_spent),
        _major(c.total_paid),
        _major(computed.average_order_value_of(c)),
        _when(c.last_order_at),
        computed.purchase_behaviour_of(
            c.orders_count, c.last_order_at, now=now, lapsed_days=lapsed
        ),
        c.budget_range or "",
        c.sentiment or "",
        "" if c.sentiment_score is None else f"{c.sentiment_score:.3f}",
        "" if c.engagement_score is None else str(c.engagement_score),
    ]
    return values, dict(c.attributes or {})
