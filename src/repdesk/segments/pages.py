"""Dashboard page: Segments. The filter builder runs in the browser (static/segments.js) and
talks to the same API a client would: the live count is ``…/segments/preview``, saving is
``POST …/segments`` or ``PATCH /api/segments/{id}``."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlalchemy import select

from repdesk.assistants.deps import PageAssistantDep
from repdesk.catalog.models import Product
from repdesk.contacts.models import ContactTag
from repdesk.dashboard import nav
from repdesk.dashboard.render import back_on_error, redirect, render
from repdesk.kit.web import PagePrincipalDep, SessionDep
from repdesk.segments import service
from repdesk.segments.filters import ENUM_VALUES, FIELD_TYPES

pages = APIRouter(include_in_schema=False)

nav.add_assistant("Segments", "/segments", 17)

LABELS: dict[str, str] = {
    "lastMessageAt": "Last message",
    "lastContactedAt": "Last contacted",
    "firstSeenAt": "First seen",
    "lastOrderAt": "Last order",
    "engagementScore": "Engagement score (0–100)",
    "interactionCount": "Interactions (messages received)",
    "conversationsCount": "Conversations",
    "totalOrders": "Total orders",
    "sentimentScore": "Sentiment score (−1 to 1)",
    "totalSpent": "Total spent",
    "totalPaid": "Total paid",
    "averageOrderValue": "Average order value",
    "sentiment": "Sentiment",
    "purchaseBehaviour": "Purchase behaviour",
    "budgetRange": "Budget range",
    "channel": "Channel",
    "optedOut": "Opted out of marketing",
    "windowOpen": "24-hour window open",
    "tags": "Tags",
    "orderedProduct": "Has ordered product",
    "name": "Name",
    "email": "Email",
    "phone": "Phone",
    "language": "Language",
}
OPS: dict[str, list[str]] = {
    "date": ["before", "after", "within", "between", "is_set", "is_not_set"],
    "number": ["gt", "gte", "lt", "lte", "eq", "neq", "between", "in", "is_set", "is_not_set"],
    "money": ["gt", "gte", "lt", "lte", "eq", "neq", "between"],
    "enum": ["eq", "neq", "in", "is_set", "is_not_set"],
    "boolean": ["eq"],
    "tags": ["has", "not_has", "in", "is_set", "is_not_set"],
    "product": ["has", "not_has", "in"],
    "text": ["contains", "eq", "neq", "in", "is_set", "is_not_set"],
    "attribute": ["eq", "neq", "gt", "lt", "contains", "is_set", "is_not_set"],
}
OP_LABELS = {
    "eq": "is",
    "neq": "is not",
    "gt": "more than",
    "gte": "at least",
    "lt": "less than",
    "lte": "at most",
    "between": "between",
    "in": "is any of",
    "contains": "contains",
    "has": "has",
    "not_has": "does not have",
    "before": "before",
    "after": "after",
    "within": "in the last",
    "is_set": "is set",
    "is_not_set": "is not set",
}
OPTION_LABELS = {"one_time": "one-time buyer", "repeat": "repeat buyer", "never": "never ordered"}


def builder_config(
    *, currency: str, tags: list[str], products: list[tuple[str, str]]
) -> dict[str, Any]:
    fields = [
        {
            "field": name,
            "label": LABELS[name],
            "type": kind,
            "ops": OPS[kind],
            "options": [
                {"value": v, "label": OPTION_LABELS.get(v, v)} for v in ENUM_VALUES.get(name, ())
            ],
        }
        for name, kind in FIELD_TYPES.items()
    ]
    fields.append(
        {"field": "attributes.", "label": "Custom attribute…", "type": "attribute",
         "ops": OPS["attribute"], "options": []}
    )  # fmt: skip
    return {
        "fields": fields,
        "opLabels": OP_LABELS,
        "currency": currency,
        "tags": tags,
        "products": [{"id": pid, "name": name} for pid, name in products],
    }


@pages.get("/assistants/{assistant_id}/segments")
async def segments_page(
    assistant: PageAssistantDep, request: Request, session: SessionDep, edit: str = ""
) -> Response:
    rows, _more, _next = await service.list_segments(session, assistant_id=assistant.id, limit=100)
    counts = await service.counts(session, assistant_id=assistant.id, segments=rows)
    used = {s.id: await service.references(session, s) for s in rows}
    editing = next((s for s in rows if s.id == edit), None)
    tags = (
        await session.scalars(
            select(ContactTag.tag)
            .where(ContactTag.assistant_id == assistant.id)
            .distinct()
            .order_by(ContactTag.tag)
            .limit(200)
        )
    ).all()
    products = (
        await session.execute(
            select(Product.id, Product.name)
            .where(Product.assistant_id == assistant.id)
            .order_by(Product.name)
            .limit(500)
        )
    ).all()
    currency = await service.assistant_currency(session, assistant.id) or "NGN"
    ctx = {
        "assistant": assistant,
        "segments": rows,
        "counts": counts,
        "used": used,
        "editing": editing,
        "config": builder_config(
            currency=currency, tags=list(tags), products=[(p, n) for p, n in products]
        ),
    }
    return render(request, "segments/segments.html", ctx)


@pages.post("/assistants/{assistant_id}/segments/{segment_id}/delete")
async def segment_delete(
    assistant: PageAssistantDep,
    segment_id: str,
    request: Request,
    session: SessionDep,
    principal: PagePrincipalDep,
) -> Response:
    here = f"/assistants/{assistant.id}/segments"
    segment = await service.get_or_404(
        session, workspace_id=principal.workspace.id, segment_id=segment_id
    )
    if segment.assistant_id != assistant.id:
        return redirect(here, error="No such segment.")
    back_on_error(request, here)
    await service.delete(session, segment)
    return redirect(here, flash=f"Deleted {segment.name}.")
