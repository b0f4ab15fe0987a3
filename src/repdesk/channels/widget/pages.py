"""The web widget's settings page: appearance, features, allowed domains, live preview and the
embed code with per-platform instructions."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import Response

from repdesk.assistants.deps import PageAssistantDep
from repdesk.channels.widget import service as widget
from repdesk.dashboard import nav
from repdesk.dashboard.render import back_on_error, redirect, render
from repdesk.kit.web import PagePrincipalDep, SessionDep
from repdesk.transcription.service import get_transcriber

pages = APIRouter(include_in_schema=False)

nav.add_assistant("Widget", "/widget", 20, platforms=("widget",))


@pages.get("/assistants/{assistant_id}/widget")
async def widget_page(
    assistant: PageAssistantDep, request: Request, session: SessionDep, principal: PagePrincipalDep
) -> Response:
    if assistant.platform != "widget":
        return redirect(f"/assistants/{assistant.id}", error="This is not a web widget assistant.")
    s = await widget.ensure_public_id(session, assistant)
    base = request.app.state.settings.base_url
    preview: dict[str, Any] = widget.public_config(assistant, s)
    preview["voiceEnabled"] = bool(s["voiceEnabled"])
    if s.get("avatarFileId"):
        preview["avatarUrl"] = f"/api/files/{s['avatarFileId']}"
    transcriber = get_transcriber()
    return render(
        request,
        "widget/settings.html",
        {
            "assistant": assistant,
            "w": s,
            "embed_code": widget.embed_code(base, s["publicId"]),
            "preview": preview,
            "fonts": widget.FONTS,
            "transcriber": transcriber.description if transcriber else None,
        },
    )


@pages.post("/assistants/{assistant_id}/widget")
async def widget_save(
    assistant: PageAssistantDep,
    request: Request,
    session: SessionDep,
    color: Annotated[str, Form()] = "#2563eb",
    theme: Annotated[str, Form()] = "auto",
    position: Annotated[str, Form()] = "bottom-right",
    welcome_message: Annotated[str, Form()] = "",
    business_name: Annotated[str, Form()] = "",
    font: Annotated[str, Form()] = "system",
    voice_enabled: Annotated[str | None, Form()] = None,
    files_enabled: Annotated[str | None, Form()] = None,
    allowed_domains: Annotated[str, Form()] = "",
) -> Response:
    url = f"/assistants/{assistant.id}/widget"
    domains = [d for d in allowed_domains.replace(",", "\n").split() if d.strip()]
    back_on_error(request, url)
    await widget.update_widget(
        session,
        assistant,
        {
            "color": color,
            "theme": theme,
            "position": position,
            "welcomeMessage": welcome_message,
            "businessName": business_name,
            "font": font,
            "voiceEnabled": voice_enabled is not None,
            "filesEnabled": files_enabled is not None,
            "allowedDomains": domains,
        },
    )
    return redirect(url, flash="Widget settings saved.")


@pages.post("/assistants/{assistant_id}/widget/avatar")
async def widget_avatar(
    assistant: PageAssistantDep,
    request: Request,
    session: SessionDep,
    file: Annotated[UploadFile, File()],
) -> Response:
    url = f"/assistants/{assistant.id}/widget"
    back_on_error(request, url)
    data = await widget.read_limited(file, widget.MAX_AVATAR_BYTES)
    await widget.set_avatar(session, assistant, data=data, filename=file.filename or "")
    return redirect(url, flash="Avatar updated.")
