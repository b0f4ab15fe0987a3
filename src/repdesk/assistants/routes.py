"""/api/assistants: create, list, rename and delete assistants."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Query, Response

from repdesk.assistants import service
from repdesk.assistants.schemas import AssistantCreate, AssistantRead, AssistantUpdate
from repdesk.kit.pagination import page
from repdesk.kit.web import PrincipalDep, SessionDep

router = APIRouter(prefix="/api/assistants", tags=["assistants"])


@router.get("")
async def list_assistants(
    session: SessionDep,
    principal: PrincipalDep,
    limit: int | None = Query(default=None),
    cursor: str | None = Query(default=None, max_length=64),
) -> dict[str, Any]:
    """The workspace's assistants, newest first, cursor-paginated."""
    rows, has_more, nxt = await service.list_page(
        session, workspace_id=principal.workspace.id, limit=limit, cursor=cursor
    )
    items = [AssistantRead.model_validate(a).model_dump(by_alias=True, mode="json") for a in rows]
    return page(items, has_more, nxt)


@router.post("", status_code=201, response_model=AssistantRead)
async def create_assistant(
    body: AssistantCreate, session: SessionDep, principal: PrincipalDep
) -> AssistantRead:
    """Create an assistant for WhatsApp or the web widget (up to 100 per workspace)."""
    assistant = await service.create(
        session,
        workspace_id=principal.workspace.id,
        name=body.name,
        platform=body.platform,
        purpose=body.purpose,
    )
    return AssistantRead.model_validate(assistant)


@router.get("/{assistant_id}", response_model=AssistantRead)
async def get_assistant(
    assistant_id: str, session: SessionDep, principal: PrincipalDep
) -> AssistantRead:
    assistant = await service.get_or_404(
        session, workspace_id=principal.workspace.id, assistant_id=assistant_id
    )
    return AssistantRead.model_validate(assistant)


@router.patch("/{assistant_id}", response_model=AssistantRead)
async def update_assistant(
    assistant_id: str, body: AssistantUpdate, session: SessionDep, principal: PrincipalDep
) -> AssistantRead:
    """Rename an assistant or change its purpose."""
    assistant = await service.get_or_404(
        session, workspace_id=principal.workspace.id, assistant_id=assistant_id
    )
    fields = body.model_dump(exclude_unset=True)
    await service.update(
        session,
        assistant,
        name=fields.get("name"),
        purpose=fields.get("purpose", ...),
    )
    return AssistantRead.model_validate(assistant)


@router.delete("/{assistant_id}", status_code=204)
async def delete_assistant(
    assistant_id: str, session: SessionDep, principal: PrincipalDep
) -> Response:
    """Delete an assistant and all of its data (conversations, contacts, knowledge, keys)."""
    assistant = await service.get_or_404(
        session, workspace_id=principal.workspace.id, assistant_id=assistant_id
    )
    await service.delete_assistant(session, assistant)
    return Response(status_code=204)
