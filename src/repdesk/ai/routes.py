"""/api/assistants/{id}/playground: chat with the assistant as a customer would.

It runs exactly the engine customers get, charges nothing and sends nothing; an order
confirmed here is stored as a test order (``"test": true``).
"""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter
from pydantic import Field

from repdesk.ai import service, settings_service
from repdesk.ai.engine.base import Turn
from repdesk.assistants.deps import AssistantDep
from repdesk.db.engine import commit_then
from repdesk.kit.errors import Forbidden, ValidationError
from repdesk.kit.ids import new_id
from repdesk.kit.schemas import CamelModel, StrictCamelModel
from repdesk.kit.web import PrincipalDep, SessionDep
from repdesk.payments import assist as payments_assist

router = APIRouter(tags=["ai"])
HISTORY = 12


class PlaygroundRequest(StrictCamelModel):
    session_id: str | None = Field(default=None, max_length=24, pattern=r"^[A-Za-z0-9]+$")
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
    assistant: AssistantDep, body: PlaygroundRequest, session: SessionDep, principal: PrincipalDep
) -> PlaygroundResponse:
    """Send one message as a customer; get the assistant's replies and actions."""
    if not body.text.strip():
        raise ValidationError("text: must not be empty")
    sid = body.session_id or new_id()
    key = f"pg:{assistant.id}:{sid}"  # at most 3 + 32 + 1 + 24 characters
    row = await service.load_state(session, key=key, assistant_id=assistant.id)
    if row.assistant_id != assistant.id:  # cannot happen with the full id in the key
        raise ValidationError("sessionId is not valid.")
    history = [Turn(t["role"], t["text"]) for t in (row.history or [])][-HISTORY:]
    # The engine may call an LLM: hold no write locks meanwhile.
    turnout = await commit_then(
        session,
        lambda: service.respond(
            session,
            assistant=assistant,
            text=body.text,
            state_key=key,
            channel=assistant.platform,
            history=history,
            contact_name=None,
        ),
    )
    result = turnout.result
    done = await service.apply_actions(
        session, assistant=assistant, actions=result.actions, test=True
    )
    # What the customer would be sent about paying: the instructions, or the Paystack link
    # (on the business's own key) once an email is given or the link is asked for again.
    state = dict(row.state or {})
    paying = await payments_assist.playground(session, assistant=assistant, state=state, done=done)
    row.state = state
    replies = [*result.replies, *paying]
    row.history = [
        *(row.history or []),
        {"role": "customer", "text": body.text},
        *({"role": "business", "text": r} for r in replies),
    ][-2 * HISTORY :]
    return PlaygroundResponse(
        session_id=sid,
        replies=[PlaygroundReply(text=r) for r in replies],
        actions=done,
        intent=result.intent,
    )


class AISettingsRead(CamelModel):
    provider: str
    base_url: str
    model: str
    has_api_key: bool
    timeout_seconds: int
    source: str


class AISettingsUpdate(StrictCamelModel):
    provider: Literal["builtin", "openai", "anthropic"]
    base_url: str | None = Field(default=None, max_length=500)
    model: str | None = Field(default=None, max_length=120)
    api_key: str | None = Field(default=None, max_length=500)  # "" removes the key
    timeout_seconds: int | None = Field(default=None, ge=1, le=120)


@router.get("/api/workspace/ai", response_model=AISettingsRead)
async def get_ai_settings(session: SessionDep, principal: PrincipalDep) -> AISettingsRead:
    """Which engine answers customers: the built-in one or an LLM provider. Keys are never
    returned; ``hasApiKey`` says whether one is stored."""
    eff = await settings_service.get(session, principal.workspace.id)
    return AISettingsRead.model_validate(eff, from_attributes=True)


@router.put("/api/workspace/ai", response_model=AISettingsRead)
async def put_ai_settings(
    body: AISettingsUpdate, session: SessionDep, principal: PrincipalDep
) -> AISettingsRead:
    """Choose the engine: ``builtin``, ``openai`` (any OpenAI-compatible ``baseUrl``) or
    ``anthropic``. The API key is encrypted at rest."""
    if principal.role not in ("owner", "admin"):
        raise Forbidden("Only owners and admins can change the AI provider.")
    eff = await settings_service.put(
        session,
        principal.workspace.id,
        provider=body.provider,
        base_url=body.base_url,
        model=body.model,
        api_key=body.api_key,
        timeout_seconds=body.timeout_seconds,
    )
    return AISettingsRead.model_validate(eff, from_attributes=True)


class CorrectionBody(StrictCamelModel):
    question: str = Field(min_length=1, max_length=2000)
    answer: str = Field(min_length=1, max_length=20000)


class CorrectionRead(CamelModel):
    knowledge_item_id: str
    question: str
    answer: str


@router.post(
    "/api/assistants/{assistant_id}/playground/corrections",
    status_code=201,
    response_model=CorrectionRead,
)
async def playground_correction(
    assistant: AssistantDep, body: CorrectionBody, session: SessionDep, principal: PrincipalDep
) -> CorrectionRead:
    """Correct one of the assistant's answers: saved as a Q&A pair in the knowledge base, so
    the next customer who asks gets the right answer."""
    from repdesk.knowledge import service as knowledge

    item = await knowledge.create_qa(
        session, assistant_id=assistant.id, question=body.question, answer=body.answer
    )
    return CorrectionRead(knowledge_item_id=item.id, question=body.question, answer=body.answer)
