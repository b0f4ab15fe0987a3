"""/api/assistants/{id}/playground: chat with the assistant as a customer would.

It runs exactly the engine customers get, charges nothing and sends nothing; an order
confirmed here is stored as a test order (``"test": true``).
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from pydantic import Field

from repdesk.ai import service
from repdesk.ai.engine.base import Turn
from repdesk.assistants import service as assistants
from repdesk.kit.errors import ValidationError
from repdesk.kit.ids import new_id
from repdesk.kit.schemas import CamelModel, StrictCamelModel
from repdesk.kit.web import PrincipalDep, SessionDep

router = APIRouter(tags=["ai"])
HISTORY = 12


class PlaygroundRequest(StrictCamelModel):
    session_id: str | None = Field(default=None, max_length=40, pattern=r"^[A-Za-z0-9]+$")
    text: str = Field(min_length=1, max_length=4000)


class PlaygroundReply(CamelModel):
    text: str


class PlaygroundResponse(CamelModel):
    session_id: str
    replies: list[PlaygroundReply]
    actions: list[dict[str, Any]]
    intent: str


@router.post("/api/assistants/{assistant_id}/playground", response_model=PlaygroundResponse)
async def playground(
    assistant_id: str, body: PlaygroundRequest, session: SessionDep, principal: PrincipalDep
) -> PlaygroundResponse:
    """Send one message as a customer; get the assistant's replies and actions."""
    assistant = await assistants.get_or_404(
        session, workspace_id=principal.workspace.id, assistant_id=assistant_id
    )
    if not body.text.strip():
        raise ValidationError("text: must not be empty")
    sid = body.session_id or new_id()
    key = f"pg:{assistant.id[:12]}:{sid}"[:64]
    row = await service.load_state(session, key=key, assistant_id=assistant.id)
    history = [Turn(t["role"], t["text"]) for t in (row.history or [])][-HISTORY:]
    turnout = await service.respond(
        session,
        assistant=assistant,
        text=body.text,
        state_key=key,
        channel=assistant.platform,
        history=history,
        contact_name=None,
    )
    result = turnout.result
    done = await service.apply_actions(
        session, assistant=assistant, actions=result.actions, test=True
    )
    row.history = [
        *(row.history or []),
        {"role": "customer", "text": body.text},
        *({"role": "business", "text": r} for r in result.replies),
    ][-2 * HISTORY :]
    return PlaygroundResponse(
        session_id=sid,
        replies=[PlaygroundReply(text=r) for r in result.replies],
        actions=done,
        intent=result.intent,
    )
