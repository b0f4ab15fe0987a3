"""Management of API keys (dashboard session auth) and the /v1 mount."""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, FastAPI, Response
from pydantic import Field

from repdesk.assistants import service as assistants
from repdesk.developer_api import service
from repdesk.developer_api.models import ApiKey
from repdesk.developer_api.v1 import build_v1_app
from repdesk.kit.pagination import page
from repdesk.kit.schemas import StrictCamelModel
from repdesk.kit.time import isoformat
from repdesk.kit.web import PrincipalDep, SessionDep

router = APIRouter(prefix="/api", tags=["developer api"])


def setup_app(app: FastAPI) -> None:
    app.mount("/v1", build_v1_app(app))


class ApiKeyCreate(StrictCamelModel):
    name: str = Field(min_length=1, max_length=100)
    environment: Literal["live", "test"] = "live"


def key_read(key: ApiKey) -> dict[str, Any]:
    return {
        "id": key.id,
        "name": key.name,
        "prefix": key.prefix,
        "last4": key.last4,
        "environment": key.environment,
        "createdAt": isoformat(key.created_at),
        "lastUsedAt": isoformat(key.last_used_at),
        "revokedAt": isoformat(key.revoked_at),
        "assistantId": key.assistant_id,
    }


@router.post("/assistants/{assistant_id}/api-keys", status_code=201)
async def create_api_key(
    assistant_id: str, body: ApiKeyCreate, session: SessionDep, principal: PrincipalDep
) -> dict[str, Any]:
    """Create a Developer API key for a WhatsApp assistant. `key` is shown only in this answer:
    repdesk stores its SHA-256 hash."""
    assistant = await assistants.get_or_404(
        session, workspace_id=principal.workspace.id, assistant_id=assistant_id
    )
    created = await service.create_key(
        session,
        assistant=assistant,
        name=body.name,
        environment=body.environment,
        created_by=principal.user.id,
    )
    return {**key_read(created.key), "key": created.raw}


@router.get("/assistants/{assistant_id}/api-keys")
async def list_api_keys(
    assistant_id: str, session: SessionDep, principal: PrincipalDep
) -> dict[str, Any]:
    """The assistant's keys by prefix and last four characters, newest first."""
    assistant = await assistants.get_or_404(
        session, workspace_id=principal.workspace.id, assistant_id=assistant_id
    )
    keys = await service.list_keys(session, assistant_id=assistant.id)
    return page([key_read(k) for k in keys], False, None)


@router.delete("/api-keys/{key_id}", status_code=204)
async def revoke_api_key(key_id: str, session: SessionDep, principal: PrincipalDep) -> Response:
    """Revoke a key: it answers 401 INVALID_API_KEY from now on."""
    key = await service.get_key_for_workspace(
        session, workspace_id=principal.workspace.id, key_id=key_id
    )
    await service.revoke_key(session, key)
    return Response(status_code=204)
