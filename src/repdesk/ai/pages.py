"""Dashboard pages: the Playground (per assistant) and the workspace's AI engine settings."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response

from repdesk.ai import settings_service
from repdesk.assistants.deps import PageAssistantDep
from repdesk.dashboard import nav
from repdesk.dashboard.render import back_on_error, redirect, render
from repdesk.kit.web import PagePrincipalDep, SessionDep

pages = APIRouter(include_in_schema=False)
nav.add_assistant("Playground", "/playground", 24)
nav.add_main("AI engine", "/settings/ai", 93)


def _embeddings_on() -> bool:
    try:
        from repdesk.knowledge import retrieval

        return bool(retrieval.embeddings_enabled())
    except Exception:  # the knowledge package is optional for this page
        return False


@pages.get("/assistants/{assistant_id}/playground")
async def playground_page(
    assistant: PageAssistantDep, request: Request, session: SessionDep, principal: PagePrincipalDep
) -> Response:
    engine = await settings_service.get(session, principal.workspace.id)
    return render(
        request,
        "ai/playground.html",
        {
            "assistant": assistant,
            "engine": engine,
            "embeddings": _embeddings_on(),
        },
    )


@pages.get("/settings/ai")
async def ai_settings_page(
    request: Request, session: SessionDep, principal: PagePrincipalDep
) -> Response:
    eff = await settings_service.get(session, principal.workspace.id)
    return render(
        request,
        "ai/settings.html",
        {"engine": eff, "can_edit": principal.role in ("owner", "admin")},
    )


@pages.post("/settings/ai")
async def ai_settings_submit(
    request: Request,
    session: SessionDep,
    principal: PagePrincipalDep,
    provider: Annotated[str, Form()] = "builtin",
    base_url: Annotated[str, Form(max_length=500)] = "",
    model: Annotated[str, Form(max_length=120)] = "",
    api_key: Annotated[str, Form(max_length=500)] = "",
    clear_key: Annotated[str, Form()] = "",
    timeout_seconds: Annotated[int, Form(ge=1, le=120)] = 20,
) -> Response:
    if principal.role not in ("owner", "admin"):
        return redirect("/settings/ai", error="Only owners and admins can change the AI engine.")
    back_on_error(request, "/settings/ai")
    await settings_service.put(
        session,
        principal.workspace.id,
        provider=provider,
        base_url=base_url,
        model=model,
        api_key="" if clear_key else (api_key or None),
        timeout_seconds=timeout_seconds,
    )
    return redirect("/settings/ai", flash="AI engine saved.")
