"""/v1/account: who this key belongs to and the credit balance."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from repdesk.accounts.models import Workspace
from repdesk.developer_api.v1.deps import ApiDep
from repdesk.kit.time import isoformat

router = APIRouter(tags=["Account"])


@router.get("/account")
async def get_account(api: ApiDep) -> dict[str, Any]:
    """The workspace, this key's assistant, the workspace's credit balance, and whether the key
    is live (`rep_live_`) or sandbox (`rep_test_`)."""
    workspace = await api.session.get(Workspace, api.workspace_id)
    assert workspace is not None
    a = api.assistant
    return {
        "workspace": {"id": workspace.id, "name": workspace.business_name},
        "assistant": {
            "id": a.id,
            "name": a.name,
            "platform": a.platform,
            "phoneNumber": a.channel_address,
        },
        "creditBalance": workspace.credits,
        "environment": api.key.environment,
        "sandbox": api.sandbox,
        "key": {
            "id": api.key.id,
            "name": api.key.name,
            "prefix": api.key.prefix,
            "last4": api.key.last4,
            "createdAt": isoformat(api.key.created_at),
        },
    }
