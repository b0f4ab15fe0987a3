"""/v1/templates: the assistant's WhatsApp message templates."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from repdesk.developer_api.v1.deps import ApiDep
from repdesk.kit.pagination import page
from repdesk.kit.time import isoformat

router = APIRouter(tags=["Templates"])


@router.get("/templates")
async def list_templates(
    api: ApiDep,
    status: Annotated[str | None, Query(max_length=20, description="e.g. APPROVED")] = None,
) -> dict[str, Any]:
    """Templates of the connected WhatsApp Business Account (synced from Meta): name, language,
    category, status and components. Only `APPROVED` templates can be sent."""
    from repdesk.channels.whatsapp import templates as whatsapp

    rows = await whatsapp.list_templates(api.session, api.assistant.id)
    items = [
        {
            "id": t.id,
            "name": t.name,
            "language": t.language,
            "category": t.category,
            "status": t.status,
            "components": t.components or [],
            "rejectedReason": t.rejected_reason,
            "syncedAt": isoformat(t.synced_at),
        }
        for t in rows
        if status is None or t.status == status.upper()
    ]
    return page(items, False, None)
