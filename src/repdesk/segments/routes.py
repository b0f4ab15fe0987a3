"""/api/…/segments: saved contact filters with a live count (seed "Segments").

A filter is ``{"all": [condition | {"any": [condition, …]}, …]}``; a condition is
``{"field", "op", "value"}``. Fields and their operators:

- dates ``lastMessageAt`` (last inbound), ``lastContactedAt`` (last outbound), ``firstSeenAt``,
  ``lastOrderAt``: ``before``, ``after`` (ISO 8601 or ``{"ago": {"days": 14}}``, evaluated when
  the segment is used), ``between`` ``[from, to]``, ``within`` ``{"days": 30}`` (the last 30
  days), ``is_set``, ``is_not_set``;
- numbers ``engagementScore`` (0–100), ``interactionCount`` (inbound messages),
  ``conversationsCount``, ``totalOrders``, ``sentimentScore`` (−1…1): ``eq``, ``neq``, ``gt``,
  ``gte``, ``lt``, ``lte``, ``between`` ``[lo, hi]``, ``in``, ``is_set``, ``is_not_set``;
- money ``totalSpent``, ``totalPaid``, ``averageOrderValue``: the comparisons and ``between``
  with ``{"amount": <minor units>, "currency": "NGN"}``;
- choices ``sentiment`` (positive, neutral, negative), ``purchaseBehaviour`` (never, one_time,
  repeat, lapsed), ``budgetRange`` (low, mid, high), ``channel`` (whatsapp, widget): ``eq``,
  ``neq``, ``in``, ``is_set``, ``is_not_set``;
- yes/no ``optedOut``, ``windowOpen`` (last inbound within 24 hours): ``eq``, ``neq``;
- ``tags``: ``has``, ``not_has``, ``in`` (any of), ``is_set`` (any tag), ``is_not_set``;
- ``orderedProduct`` (a product id; cancelled and test orders do not count): ``has``,
  ``not_has``, ``in``;
- text ``name``, ``email``, ``phone``, ``language``: ``eq``, ``neq``, ``contains``, ``in``,
  ``is_set``, ``is_not_set``;
- custom attributes ``attributes.<key>``: the operators of the attribute's type.

``neq`` also matches contacts where the value is not set. A bad filter is a 400
``VALIDATION_ERROR`` naming the condition, e.g. ``filter: all[1].any[0] (totalSpent): …``.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Query, Response

from repdesk.assistants.deps import AssistantDep
from repdesk.kit.pagination import page
from repdesk.kit.web import PrincipalDep, SessionDep
from repdesk.segments import service
from repdesk.segments.models import Segment
from repdesk.segments.schemas import (
    FILTER_EXAMPLES,
    PREVIEW_EXAMPLES,
    SegmentCreate,
    SegmentPreview,
    SegmentPreviewIn,
    SegmentRead,
    SegmentUpdate,
)

router = APIRouter(tags=["segments"])
FILTER_REFERENCE = __doc__ or ""


def segment_read(segment: Segment, count: int | None) -> SegmentRead:
    return SegmentRead(
        id=segment.id,
        assistant_id=segment.assistant_id,
        name=segment.name,
        filter=segment.filter,
        count=count,
        created_at=segment.created_at,
        updated_at=segment.updated_at,
    )


async def _read(session: SessionDep, segment: Segment) -> SegmentRead:
    counts = await service.counts(session, assistant_id=segment.assistant_id, segments=[segment])
    return segment_read(segment, counts[segment.id])


@router.post(
    "/api/assistants/{assistant_id}/segments/preview",
    response_model=SegmentPreview,
    description="How many contacts match ``filter`` right now, and a sample of them (the "
    "filter builder's live count). Nothing is stored.\n\n" + FILTER_REFERENCE.partition("\n\n")[2],
)
async def preview_segment(
    assistant: AssistantDep,
    session: SessionDep,
    body: Annotated[SegmentPreviewIn, Body(openapi_examples=PREVIEW_EXAMPLES)],
) -> SegmentPreview:
    total, sample = await service.preview(session, assistant_id=assistant.id, flt=body.filter)
    return SegmentPreview(count=total, sample=sample)


@router.get("/api/assistants/{assistant_id}/segments")
async def list_segments(
    assistant: AssistantDep,
    session: SessionDep,
    limit: int | None = Query(default=None, ge=1, le=100),
    cursor: str | None = Query(default=None, max_length=64),
) -> dict[str, Any]:
    """The assistant's segments, newest first, each with its current ``count`` (all counted
    in one pass over the contacts)."""
    rows, has_more, next_cursor = await service.list_segments(
        session, assistant_id=assistant.id, limit=limit, cursor=cursor
    )
    counts = await service.counts(session, assistant_id=assistant.id, segments=rows)
    data = [segment_read(s, counts[s.id]).model_dump(by_alias=True, mode="json") for s in rows]
    return page(data, has_more, next_cursor)


@router.post("/api/assistants/{assistant_id}/segments", status_code=201, response_model=SegmentRead)
async def create_segment(
    assistant: AssistantDep,
    session: SessionDep,
    body: Annotated[SegmentCreate, Body(openapi_examples=FILTER_EXAMPLES)],
) -> SegmentRead:
    """Save a segment. Membership is dynamic: relative dates move with the clock and
    contacts join or leave as their attributes change. Names are unique per assistant."""
    segment = await service.create(
        session, assistant_id=assistant.id, name=body.name, flt=body.filter
    )
    return await _read(session, segment)


@router.get("/api/segments/{segment_id}", response_model=SegmentRead)
async def get_segment(segment_id: str, session: SessionDep, principal: PrincipalDep) -> SegmentRead:
    segment = await service.get_or_404(
        session, workspace_id=principal.workspace.id, segment_id=segment_id
    )
    return await _read(session, segment)


@router.patch("/api/segments/{segment_id}", response_model=SegmentRead)
async def update_segment(
    segment_id: str,
    session: SessionDep,
    principal: PrincipalDep,
    body: Annotated[SegmentUpdate, Body(openapi_examples=FILTER_EXAMPLES)],
) -> SegmentRead:
    """Rename it or replace its filter."""
    segment = await service.get_or_404(
        session, workspace_id=principal.workspace.id, segment_id=segment_id
    )
    await service.update(session, segment, name=body.name, flt=body.filter)
    return await _read(session, segment)


@router.delete("/api/segments/{segment_id}", status_code=204)
async def delete_segment(segment_id: str, session: SessionDep, principal: PrincipalDep) -> Response:
    """Delete it; a 409 ``SEGMENT_IN_USE`` (with ``references``) while a scheduled broadcast or
    an active workflow uses it."""
    segment = await service.get_or_404(
        session, workspace_id=principal.workspace.id, segment_id=segment_id
    )
    await service.delete(session, segment)
    return Response(status_code=204)


@router.get("/api/segments/{segment_id}/contacts")
async def segment_contacts(
    segment_id: str,
    session: SessionDep,
    principal: PrincipalDep,
    limit: int | None = Query(default=None, ge=1, le=100),
    cursor: str | None = Query(default=None, max_length=64),
) -> dict[str, Any]:
    """The contacts in the segment now, newest first (``limit``/``cursor`` pagination)."""
    segment = await service.get_or_404(
        session, workspace_id=principal.workspace.id, segment_id=segment_id
    )
    rows, has_more, next_cursor = await service.members(
        session, segment, limit=limit, cursor=cursor
    )
    return page([r.model_dump(by_alias=True, mode="json") for r in rows], has_more, next_cursor)
