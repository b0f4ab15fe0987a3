"""Scheduled messages in the management API (session auth, camelCase JSON).

- ``GET|POST /api/assistants/{id}/scheduled-messages``: the assistant's (by ``state``); schedule one
- ``GET|PATCH|DELETE /api/scheduled-messages/{id}``: one; change it or cancel it while scheduled
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from repdesk.assistants import service as assistants
from repdesk.assistants.deps import AssistantDep
from repdesk.assistants.models import Assistant
from repdesk.campaigns.scheduled import service
from repdesk.campaigns.scheduled.models import ScheduleState
from repdesk.campaigns.scheduled.schemas import (
    ScheduledMessageCreate,
    ScheduledMessageRead,
    ScheduledMessageUpdate,
)
from repdesk.kit.pagination import page
from repdesk.kit.web import PrincipalDep, SessionDep

router = APIRouter(prefix="/api", tags=["scheduled messages"])

LIMIT = 100


@router.get("/assistants/{assistant_id}/scheduled-messages")
async def list_scheduled(
    assistant: AssistantDep,
    session: SessionDep,
    principal: PrincipalDep,
    state: Annotated[ScheduleState | None, Query()] = None,
) -> dict[str, Any]:
    """The assistant's scheduled messages (the latest 100), optionally of one ``state``:
    ``scheduled`` soonest first, the others latest first."""
    rows = await service.list_for_assistant(
        session, assistant_id=assistant.id, state=state, limit=LIMIT + 1
    )
    reads = await service.reads(session, rows[:LIMIT])
    return page([r.model_dump(by_alias=True, mode="json") for r in reads], len(rows) > LIMIT, None)


@router.post(
    "/assistants/{assistant_id}/scheduled-messages",
    status_code=201,
    response_model=ScheduledMessageRead,
)
async def create_scheduled(
    assistant: AssistantDep,
    body: ScheduledMessageCreate,
    session: SessionDep,
    principal: PrincipalDep,
) -> ScheduledMessageRead:
    """Schedule ``content`` (the Developer API's send body) to ``to`` at ``sendAt`` (ISO 8601
    with an offset, in the future: ``SEND_AT_IN_PAST`` otherwise). At that time it goes through
    the one send path: a free-form message to a closed 24-hour window fails with
    ``SERVICE_WINDOW_CLOSED`` (or sends its ``fallbackTemplate``), too few credits with
    ``INSUFFICIENT_CREDITS``; the owners are emailed about failures."""
    row = await service.create(
        session,
        assistant=assistant,
        to=body.to,
        content=body.content,
        send_at=body.send_at,
        time_zone=body.time_zone,
        created_by=principal.user.id,
    )
    return (await service.reads(session, [row]))[0]


@router.get("/scheduled-messages/{schedule_id}", response_model=ScheduledMessageRead)
async def get_scheduled(
    schedule_id: str, session: SessionDep, principal: PrincipalDep
) -> ScheduledMessageRead:
    """One scheduled message: its state, error code, ``late`` flag and the sent message."""
    row = await service.get_for_workspace_or_404(
        session, workspace_id=principal.workspace.id, schedule_id=schedule_id
    )
    return (await service.reads(session, [row]))[0]


@router.patch("/scheduled-messages/{schedule_id}", response_model=ScheduledMessageRead)
async def update_scheduled(
    schedule_id: str, body: ScheduledMessageUpdate, session: SessionDep, principal: PrincipalDep
) -> ScheduledMessageRead:
    """Change the recipient, content or time of a message that is still ``scheduled``
    (``SCHEDULE_NOT_EDITABLE`` otherwise)."""
    row = await service.get_for_workspace_or_404(
        session, workspace_id=principal.workspace.id, schedule_id=schedule_id
    )
    assistant = await _assistant_of(session, principal, row.assistant_id)
    await service.update_schedule(
        session,
        row,
        assistant=assistant,
        to=body.to,
        content=body.content,
        send_at=body.send_at,
        time_zone=body.time_zone,
    )
    return (await service.reads(session, [row]))[0]


@router.delete("/scheduled-messages/{schedule_id}", response_model=ScheduledMessageRead)
async def cancel_scheduled(
    schedule_id: str, session: SessionDep, principal: PrincipalDep
) -> ScheduledMessageRead:
    """Cancel a message that is still ``scheduled`` (``SCHEDULE_NOT_EDITABLE`` otherwise); it
    stays in the list as ``cancelled``."""
    row = await service.get_for_workspace_or_404(
        session, workspace_id=principal.workspace.id, schedule_id=schedule_id
    )
    await service.cancel(session, row)
    return (await service.reads(session, [row]))[0]


async def _assistant_of(
    session: SessionDep, principal: PrincipalDep, assistant_id: str
) -> Assistant:
    return await assistants.get_or_404(
        session, workspace_id=principal.workspace.id, assistant_id=assistant_id
    )
