"""/api/assistants/{id}/training/profile: the style profile the engines follow."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from pydantic import Field

from repdesk.assistants import service as assistants
from repdesk.kit.schemas import CamelModel, StrictCamelModel
from repdesk.kit.web import PrincipalDep, SessionDep
from repdesk.training import service

router = APIRouter(tags=["training"])


class StyleProfileBody(StrictCamelModel):
    greetings: list[str] = Field(default_factory=list, max_length=20)
    sign_offs: list[str] = Field(default_factory=list, max_length=20)
    address_customer_as: str = Field(default="", max_length=60)
    favourite_emoji: list[str] = Field(default_factory=list, max_length=20)
    emoji_rate: float = Field(default=0.0, ge=0.0, le=10.0)
    formality: str = Field(default="neutral", pattern="^(casual|neutral|formal)$")
    languages: list[str] = Field(default_factory=list, max_length=10)
    phrases: list[str] = Field(default_factory=list, max_length=50)
    avoid_phrases: list[str] = Field(default_factory=list, max_length=50)
    max_length: int = Field(default=600, ge=50, le=4000)


class ProfileRead(CamelModel):
    assistant_id: str
    profile: dict[str, Any]
    questionnaire: dict[str, Any]
    examples: list[dict[str, Any]]


@router.get("/api/assistants/{assistant_id}/training/profile", response_model=ProfileRead)
async def get_profile(
    assistant_id: str, session: SessionDep, principal: PrincipalDep
) -> ProfileRead:
    assistant = await assistants.get_or_404(
        session, workspace_id=principal.workspace.id, assistant_id=assistant_id
    )
    row = await service.get_profile(session, assistant_id=assistant.id)
    if row is None:
        return ProfileRead(assistant_id=assistant.id, profile={}, questionnaire={}, examples=[])
    return ProfileRead(
        assistant_id=assistant.id,
        profile=row.profile,
        questionnaire=row.questionnaire,
        examples=row.examples,
    )


@router.put("/api/assistants/{assistant_id}/training/profile", response_model=ProfileRead)
async def put_profile(
    assistant_id: str, body: StyleProfileBody, session: SessionDep, principal: PrincipalDep
) -> ProfileRead:
    """Replace the readable style profile (greetings, sign-offs, emoji, formality ...)."""
    assistant = await assistants.get_or_404(
        session, workspace_id=principal.workspace.id, assistant_id=assistant_id
    )
    row = await service.save_profile(
        session,
        assistant_id=assistant.id,
        profile=body.model_dump(by_alias=True),
        edited_by=principal.user.id,
    )
    return ProfileRead(
        assistant_id=assistant.id,
        profile=row.profile,
        questionnaire=row.questionnaire,
        examples=row.examples,
    )
