"""/api/assistants/{id}/training/profile: the style profile the engines follow."""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, File, Form, UploadFile
from pydantic import Field

from repdesk.assistants.deps import AssistantDep
from repdesk.kit.schemas import CamelModel, StrictCamelModel
from repdesk.kit.web import PrincipalDep, SessionDep
from repdesk.training import chat_export, service

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
    assistant: AssistantDep, session: SessionDep, principal: PrincipalDep
) -> ProfileRead:
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
    assistant: AssistantDep, body: StyleProfileBody, session: SessionDep, principal: PrincipalDep
) -> ProfileRead:
    """Replace the readable style profile (greetings, sign-offs, emoji, formality ...)."""
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


class ChatExportResult(CamelModel):
    assistant_id: str
    profile: dict[str, Any]
    examples_added: int
    participants: list[str]


@router.post("/api/assistants/{assistant_id}/training/chat-export", response_model=ChatExportResult)
async def upload_chat_export(
    assistant: AssistantDep,
    session: SessionDep,
    file: UploadFile = File(...),
    business_name: str = Form(..., alias="businessName", min_length=1, max_length=80),
) -> ChatExportResult:
    """Import a WhatsApp chat export (Android or iOS ``.txt``, or the ``.zip``).
    ``businessName`` is the participant who speaks for the business. The chat is analysed for
    the style profile and customer->business examples; the chat itself is not stored."""
    data = await file.read(chat_export.MAX_EXPORT_BYTES + 1)
    row, added, people = await service.import_chat_export(
        session,
        assistant_id=assistant.id,
        data=data,
        filename=file.filename or "chat.txt",
        business_name=business_name,
    )
    return ChatExportResult(
        assistant_id=assistant.id, profile=row.profile, examples_added=added, participants=people
    )


class QuestionnaireBody(StrictCamelModel):
    tone: Literal["friendly", "professional", "playful", "warm"] | None = None
    formality: Literal["casual", "neutral", "formal"] | None = None
    emoji_use: Literal["none", "some", "lots"] | None = None
    address_customers_as: str | None = Field(default=None, max_length=60)
    greeting: str | None = Field(default=None, max_length=120)
    sign_off: str | None = Field(default=None, max_length=200)
    phrases_to_use: list[str] = Field(default_factory=list, max_length=20)
    phrases_to_avoid: list[str] = Field(default_factory=list, max_length=20)
    languages: list[str] = Field(default_factory=list, max_length=10)


@router.put("/api/assistants/{assistant_id}/training/questionnaire", response_model=ProfileRead)
async def put_questionnaire(
    assistant: AssistantDep, body: QuestionnaireBody, session: SessionDep, principal: PrincipalDep
) -> ProfileRead:
    """The personality questionnaire; its answers shape the style profile."""
    row = await service.save_questionnaire(
        session,
        assistant_id=assistant.id,
        answers=body.model_dump(by_alias=True, exclude_none=True),
        edited_by=principal.user.id,
    )
    return ProfileRead(
        assistant_id=assistant.id,
        profile=row.profile,
        questionnaire=row.questionnaire,
        examples=row.examples,
    )
