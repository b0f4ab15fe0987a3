"""/v1/templates: the assistant's WhatsApp message templates."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from repdesk.developer_api.v1.deps import ApiDep
from repdesk.kit.pagination import page

router = APIRouter(tags=["Templates"])


@router.get("/templates")
async def list_templates(api: ApiDep) -> dict[str, Any]:
    """Templates of the connected WhatsApp Business Account: name, language, category, status
    and components. Only `APPROVED` templates can be sent."""
    return page([], False, None)
