"""The Training page: chat export upload, questionnaire, the editable style profile, examples."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import Response

from repdesk.assistants.deps import PageAssistantDep
from repdesk.dashboard import nav
from repdesk.dashboard.render import back_on_error, redirect, render
from repdesk.kit.web import PagePrincipalDep, SessionDep
from repdesk.training import chat_export, service

pages = APIRouter(include_in_schema=False)
nav.add_assistant("Training", "/training", 23)


def _lines(value: str, limit: int = 20) -> list[str]:
    return [ln.strip()[:200] for ln in value.splitlines() if ln.strip()][:limit]


@pages.get("/assistants/{assistant_id}/training")
async def training_page(
    assistant: PageAssistantDep, request: Request, session: SessionDep, principal: PagePrincipalDep
) -> Response:
    row = await service.get_profile(session, assistant_id=assistant.id)
    return render(
        request,
        "training/index.html",
        {
            "assistant": assistant,
            "profile": (row.profile if row else {}) or {},
            "questionnaire": (row.questionnaire if row else {}) or {},
            "examples": (row.examples if row else [])[-20:],
            "sources": (row.sources if row else []) or [],
        },
    )


@pages.post("/assistants/{assistant_id}/training/chat-export")
async def training_upload(
    assistant: PageAssistantDep,
    request: Request,
    session: SessionDep,
    file: Annotated[UploadFile, File()],
    business_name: Annotated[str, Form(max_length=80)] = "",
) -> Response:
    url = f"/assistants/{assistant.id}/training"
    data = await file.read(chat_export.MAX_EXPORT_BYTES + 1)
    back_on_error(request, url)
    _row, added, _people = await service.import_chat_export(
        session,
        assistant_id=assistant.id,
        data=data,
        filename=file.filename or "chat.txt",
        business_name=business_name,
    )
    return redirect(url, flash=f"Chat imported: style profile updated, {added} examples added.")


@pages.post("/assistants/{assistant_id}/training/questionnaire")
async def training_questionnaire(
    assistant: PageAssistantDep,
    session: SessionDep,
    principal: PagePrincipalDep,
    tone: Annotated[str, Form()] = "",
    formality: Annotated[str, Form()] = "",
    emoji_use: Annotated[str, Form()] = "",
    address_customers_as: Annotated[str, Form(max_length=60)] = "",
    greeting: Annotated[str, Form(max_length=120)] = "",
    sign_off: Annotated[str, Form(max_length=200)] = "",
    phrases_to_use: Annotated[str, Form(max_length=4000)] = "",
    phrases_to_avoid: Annotated[str, Form(max_length=4000)] = "",
    languages: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    url = f"/assistants/{assistant.id}/training"
    answers = {
        "tone": tone if tone in ("friendly", "professional", "playful", "warm") else None,
        "formality": formality if formality in ("casual", "neutral", "formal") else None,
        "emojiUse": emoji_use if emoji_use in ("none", "some", "lots") else None,
        "addressCustomersAs": address_customers_as.strip() or None,
        "greeting": greeting.strip() or None,
        "signOff": sign_off.strip() or None,
        "phrasesToUse": _lines(phrases_to_use),
        "phrasesToAvoid": _lines(phrases_to_avoid),
        "languages": [x.strip() for x in languages.split(",") if x.strip()][:10],
    }
    await service.save_questionnaire(
        session,
        assistant_id=assistant.id,
        answers={k: v for k, v in answers.items() if v},
        edited_by=principal.user.id,
    )
    return redirect(url, flash="Questionnaire saved: the style profile now follows your answers.")


@pages.post("/assistants/{assistant_id}/training/profile")
async def training_profile(
    assistant: PageAssistantDep,
    session: SessionDep,
    principal: PagePrincipalDep,
    greetings: Annotated[str, Form(max_length=4000)] = "",
    sign_offs: Annotated[str, Form(max_length=4000)] = "",
    address_customer_as: Annotated[str, Form(max_length=60)] = "",
    favourite_emoji: Annotated[str, Form(max_length=200)] = "",
    emoji_rate: Annotated[float, Form(ge=0, le=10)] = 0.0,
    formality: Annotated[str, Form()] = "neutral",
    languages: Annotated[str, Form(max_length=200)] = "",
    phrases: Annotated[str, Form(max_length=4000)] = "",
    avoid_phrases: Annotated[str, Form(max_length=4000)] = "",
    max_length: Annotated[int, Form(ge=50, le=4000)] = 600,
) -> Response:
    url = f"/assistants/{assistant.id}/training"
    row = await service.get_profile(session, assistant_id=assistant.id)
    profile = dict(row.profile) if row else {}
    profile.update(
        {
            "greetings": _lines(greetings, 5),
            "signOffs": _lines(sign_offs, 5),
            "addressCustomerAs": address_customer_as.strip(),
            "favouriteEmoji": favourite_emoji.split()[:10],
            "emojiRate": emoji_rate,
            "formality": formality if formality in ("casual", "neutral", "formal") else "neutral",
            "languages": [x.strip() for x in languages.split(",") if x.strip()][:10],
            "phrases": _lines(phrases),
            "avoidPhrases": _lines(avoid_phrases),
            "maxLength": max_length,
        }
    )
    await service.save_profile(
        session, assistant_id=assistant.id, profile=profile, edited_by=principal.user.id
    )
    return redirect(url, flash="Style profile saved.")
