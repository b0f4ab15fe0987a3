"""Segments: saved filters over an assistant's contacts, and the queries other domains use.

``matching_contacts_query`` is the one way any domain (broadcasts, export, workflows) selects a
segment's contacts: it returns a ``SELECT contacts.id`` to embed in their own statement.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from repdesk.assistants import service as assistants
from repdesk.assistants.models import Assistant
from repdesk.catalog.models import Product
from repdesk.contacts import computed
from repdesk.contacts.models import Contact, ContactTag
from repdesk.db.base import Base
from repdesk.kit.errors import Conflict, ValidationError
from repdesk.kit.pagination import paginate
from repdesk.kit.time import ensure_utc, utcnow
from repdesk.segments import compiler
from repdesk.segments.filters import SegmentFilter, parse_filter
from repdesk.segments.models import Segment
from repdesk.segments.schemas import SegmentContact, SegmentReference

MAX_SEGMENTS = 200
SAMPLE_SIZE = 10


# -- what a compile needs from the database (seams the contacts domain fills) -------------


async def attribute_types(session: AsyncSession, assistant_id: str) -> dict[str, str]:
    """Custom attribute key -> type (text, number, date, boolean, choice) from
    ``contact_attribute_definitions`` when that table exists; else {} and filters take the
    type from the value's JSON type."""
    table = Base.metadata.tables.get("contact_attribute_definitions")
    if table is None or not {"assistant_id", "key", "type"} <= set(table.c.keys()):
        return {}
    rows = await session.execute(
        select(table.c.key, table.c.type).where(table.c.assistant_id == assistant_id)
    )
    return {str(key): str(kind) for key, kind in rows}


def lapsed_days(assistant: Assistant | None) -> int:
    """N of "lapsed: no order for N days" (the assistant's contacts setting)."""
    return computed.lapsed_days_of(assistant.settings if assistant is not None else None)


async def assistant_currency(session: AsyncSession, assistant_id: str) -> str | None:
    """The currency the assistant sells in (its catalog's most common), or None."""
    return await session.scalar(
        select(Product.currency)
        .where(Product.assistant_id == assistant_id)
        .group_by(Product.currency)
        .order_by(func.count().desc(), Product.currency)
        .limit(1)
    )


async def compile_context(
    session: AsyncSession | None, assistant_id: str, now: datetime | None = None
) -> compiler.Context:
    when = ensure_utc(now) if now is not None else utcnow()
    if session is None:
        return compiler.Context(now=when, assistant_id=assistant_id)
    assistant = await session.get(Assistant, assistant_id)
    return compiler.Context(
        now=when,
        assistant_id=assistant_id,
        lapsed_days=lapsed_days(assistant),
        currency=await assistant_currency(session, assistant_id),
        attribute_types=await attribute_types(session, assistant_id),
    )


async def matching_contacts_query(
    session_or_none: AsyncSession | None,
    assistant_id: str,
    filter: SegmentFilter | dict[str, Any],
    now: datetime | None = None,
) -> Select[tuple[str]]:
    """``SELECT contacts.id`` of the assistant's contacts that match ``filter`` at ``now``
    (default: the present). With a session, custom attributes take their defined types and
    money is checked against the assistant's currency. Raises ``ValidationError``."""
    flt = parse_filter(filter)
    ctx = await compile_context(session_or_none, assistant_id, now)
    stmt: Select[tuple[str]] = compiler.contact_ids(assistant_id, flt, ctx)
    return stmt


async def _condition(
    session: AsyncSession, assistant_id: str, flt: SegmentFilter, now: datetime | None
) -> ColumnElement[bool]:
    ctx = await compile_context(session, assistant_id, now)
    return compiler.filter_sql(flt, ctx)


async def count(
    session: AsyncSession, *, assistant_id: str, flt: SegmentFilter, now: datetime | None = None
) -> int:
    cond = await _condition(session, assistant_id, flt, now)
    c = compiler.contacts.c
    total = await session.scalar(
        select(func.count())
        .select_from(compiler.contacts)
        .where(c.assistant_id == assistant_id, cond)
    )
    return int(total or 0)


async def contact_rows(session: AsyncSession, rows: Sequence[Contact]) -> list[SegmentContact]:
    """Contacts as segment rows, their tags read in one query."""
    tags: dict[str, list[str]] = {c.id: [] for c in rows}
    if rows:
        result = await session.execute(
            select(ContactTag.contact_id, ContactTag.tag)
            .where(ContactTag.contact_id.in_(list(tags)))
            .order_by(ContactTag.tag)
        )
        for contact_id, tag in result:
            tags[contact_id].append(tag)
    return [
        SegmentContact(
            id=c.id,
            name=c.name,
            phone=c.phone,
            visitor_id=c.visitor_id,
            email=c.email,
            tags=tags[c.id],
            opted_out=c.opted_out,
            last_message_at=c.last_message_at,
            total_spent=c.total_spent,
            orders_count=c.orders_count,
            engagement_score=c.engagement_score,
            created_at=c.created_at,
        )
        for c in rows
    ]


async def preview(
    session: AsyncSession, *, assistant_id: str, flt: SegmentFilter, now: datetime | None = None
) -> tuple[int, list[SegmentContact]]:
    """How many contacts match, and a few of them. The sample is the first matches the
    database meets (no ORDER BY: sorting every match by recency cost more than the count on
    broad filters, and walking an index in order until 10 match is a full scan on narrow
    ones); its rows are shown newest first."""
    cond = await _condition(session, assistant_id, flt, now)
    c = compiler.contacts.c
    total = int(
        await session.scalar(
            select(func.count())
            .select_from(compiler.contacts)
            .where(c.assistant_id == assistant_id, cond)
        )
        or 0
    )
    if not total:
        return 0, []
    sample = (
        await session.scalars(
            select(Contact).where(Contact.assistant_id == assistant_id, cond).limit(SAMPLE_SIZE)
        )
    ).all()
    newest = sorted(sample, key=lambda row: row.id, reverse=True)
    return total, await contact_rows(session, newest)


async def counts(
    session: AsyncSession, *, assistant_id: str, segments: Sequence[Segment]
) -> dict[str, int | None]:
    """Every segment's current count in one query (one pass over the contacts); None for a
    stored filter that no longer compiles."""
    ctx = await compile_context(session, assistant_id)
    columns: dict[str, ColumnElement[int]] = {}
    out: dict[str, int | None] = {}
    for seg in segments:
        try:
            cond = compiler.filter_sql(parse_filter(seg.filter), ctx)
        except ValidationError:
            out[seg.id] = None
            continue
        columns[seg.id] = func.count().filter(cond)
    if columns:
        row = (
            await session.execute(
                select(*(col.label(f"c{i}") for i, col in enumerate(columns.values())))
                .select_from(compiler.contacts)
                .where(compiler.contacts.c.assistant_id == assistant_id)
            )
        ).one()
        out.update({seg_id: int(row[i] or 0) for i, seg_id in enumerate(columns)})
    return out


# -- saved segments -------------------------------------------------------------------------


def stored(flt: SegmentFilter) -> dict[str, Any]:
    data: dict[str, Any] = flt.model_dump(mode="json", exclude_defaults=True)
    data.setdefault("all", [])
    return data


async def _check_compiles(session: AsyncSession, assistant_id: str, flt: SegmentFilter) -> None:
    await _condition(session, assistant_id, flt, None)  # currency and attribute types


async def create(
    session: AsyncSession, *, assistant_id: str, name: str, flt: SegmentFilter
) -> Segment:
    name = name.strip()
    if not name:
        raise ValidationError("name: give the segment a name")
    await _check_compiles(session, assistant_id, flt)
    total = await session.scalar(
        select(func.count()).select_from(Segment).where(Segment.assistant_id == assistant_id)
    )
    if (total or 0) >= MAX_SEGMENTS:
        raise ValidationError(f"An assistant can have at most {MAX_SEGMENTS} segments.")
    segment = Segment(assistant_id=assistant_id, name=name, filter=stored(flt))
    try:
        async with session.begin_nested():
            session.add(segment)
            await session.flush()
    except IntegrityError as exc:
        raise Conflict(f"A segment named {name!r} already exists.") from exc
    return segment


async def update(
    session: AsyncSession, segment: Segment, *, name: str | None, flt: SegmentFilter | None
) -> Segment:
    if flt is not None:
        await _check_compiles(session, segment.assistant_id, flt)
    if name is not None:
        name = name.strip()
        if not name:
            raise ValidationError("name: give the segment a name")
        taken = await session.scalar(
            select(Segment.id).where(
                Segment.assistant_id == segment.assistant_id,
                Segment.name == name,
                Segment.id != segment.id,
            )
        )
        if taken:
            raise Conflict(f"A segment named {name!r} already exists.")
    try:
        # The change is flushed inside the savepoint: a rename racing another one is a 409.
        async with session.begin_nested():
            if flt is not None:
                segment.filter = stored(flt)
            if name is not None:
                segment.name = name
            segment.updated_at = utcnow()
            await session.flush()
    except IntegrityError as exc:
        raise Conflict(f"A segment named {name!r} already exists.") from exc
    return segment


async def references(session: AsyncSession, segment: Segment) -> list[SegmentReference]:
    """What uses this segment (scheduled broadcasts, active workflows): deleting it is refused
    while anything does. Broadcasts and workflows add their lookups here when they land."""
    return []


async def delete(session: AsyncSession, segment: Segment) -> None:
    used = await references(session, segment)
    if used:
        names = ", ".join(f"{r.kind} {r.name!r}" for r in used)
        raise Conflict(
            f"The segment is used by {names}; change those first.",
            code="SEGMENT_IN_USE",
            extra={"references": [r.model_dump(by_alias=True) for r in used]},
        )
    await session.delete(segment)
    await session.flush()


async def list_segments(
    session: AsyncSession, *, assistant_id: str, limit: int | None = None, cursor: str | None = None
) -> tuple[Sequence[Segment], bool, str | None]:
    stmt = select(Segment).where(Segment.assistant_id == assistant_id)
    return await paginate(session, stmt, id_column=Segment.id, limit=limit, cursor=cursor)


async def get_or_404(session: AsyncSession, *, workspace_id: str, segment_id: str) -> Segment:
    return await assistants.get_in_workspace(
        session, Segment, segment_id, workspace_id=workspace_id, missing="No such segment."
    )


async def members(
    session: AsyncSession, segment: Segment, *, limit: int | None, cursor: str | None
) -> tuple[list[SegmentContact], bool, str | None]:
    """The segment's contacts now, newest first, a page at a time."""
    ids = await matching_contacts_query(session, segment.assistant_id, segment.filter)
    stmt = select(Contact).where(Contact.id.in_(ids))
    rows, has_more, next_cursor = await paginate(
        session, stmt, id_column=Contact.id, limit=limit, cursor=cursor
    )
    return await contact_rows(session, rows), has_more, next_cursor
