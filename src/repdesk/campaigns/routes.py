"""Broadcasts in the management API (session auth, camelCase JSON).

- ``GET|POST /api/assistants/{id}/broadcasts``: the assistant's broadcasts, newest first; queue one
- ``GET /api/broadcasts/{id}``: one broadcast, its progress and each recipient's status

The Developer API's ``/v1/broadcast`` (API-key auth, sandbox keys) calls the same service.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from repdesk.assistants.deps import AssistantDep
from repdesk.campaigns import service
from repdesk.campaigns.schemas import BroadcastCreate, BroadcastRead
from repdesk.kit.pagination import page
from repdesk.kit.web import PrincipalDep, SessionDep

router = APIRouter(prefix="/api", tags=["broadcasts"])


@router.get("/assistants/{assistant_id}/broadcasts")
async def list_broadcasts(
    assistant: AssistantDep, session: SessionDep, principal: PrincipalDep
) -> dict[str, Any]:
    """The assistant's latest 50 broadcasts, newest first, each with its progress."""
    rows = await service.list_for_assistant(
        session, assistant_id=service.require_whatsapp(assistant).id
    )
    reads = [await service.read(session, b) for b in rows[:50]]
    return page(
        [r.model_dump(by_alias=True, mode="json", exclude={"recipients"}) for r in reads],
        len(rows) > 50,
        None,
    )


@router.post("/assistants/{assistant_id}/broadcasts", status_code=202, response_model=BroadcastRead)
async def create_broadcast(
    assistant: AssistantDep, body: BroadcastCreate, session: SessionDep, principal: PrincipalDep
) -> BroadcastRead:
    """Queue a broadcast; it is sent one recipient at a time with a pause between them, each
    message charged like a single send. Free-form ``text`` reaches only recipients whose 24-hour
    window is open (the others are ``skipped``); a ``template`` must be approved
    (``TEMPLATE_NOT_APPROVED``). A phone number that does not parse is
    ``INVALID_PHONE_NUMBER``."""
    broadcast = await service.create(
        session,
        assistant=service.require_whatsapp(assistant),
        outbound=body.outbound(),
        recipients=body.recipients,
        name=body.name,
        created_by=principal.user.id,
    )
    return await service.read(session, broadcast)


@router.get("/broadcasts/{broadcast_id}", response_model=BroadcastRead)
async def get_broadcast(
    broadcast_id: str, session: SessionDep, principal: PrincipalDep
) -> BroadcastRead:
    """One broadcast: its progress and each recipient's status and reason."""
    broadcast = await service.get_for_workspace_or_404(
        session, workspace_id=principal.workspace.id, broadcast_id=broadcast_id
    )
    return await service.read(session, broadcast, with_recipients=True)
