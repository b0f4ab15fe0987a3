"""Dashboard: the "Broadcasts" page of a WhatsApp assistant (new broadcast, recent ones with
their progress). It calls ``campaigns.service``; it writes no table itself."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response

from repdesk.assistants.deps import PageAssistantDep
from repdesk.campaigns import service as broadcasts
from repdesk.channels.base import OutboundMessage, OutboundTemplate
from repdesk.dashboard import nav
from repdesk.dashboard.render import back_on_error, redirect, render
from repdesk.kit.web import PagePrincipalDep, SessionDep

pages = APIRouter(include_in_schema=False)

nav.add_assistant("Broadcasts", "/broadcasts", 40, platforms=("whatsapp",))


@pages.get("/assistants/{assistant_id}/broadcasts")
async def broadcasts_page(
    assistant: PageAssistantDep, request: Request, session: SessionDep
) -> Response:
    broadcasts.require_whatsapp(assistant)
    rows = await broadcasts.list_for_assistant(session, assistant_id=assistant.id)
    items = [(b, await broadcasts.progress(session, b)) for b in rows[:50]]
    return render(request, "campaigns/broadcasts.html", {"assistant": assistant, "items": items})


@pages.post("/assistants/{assistant_id}/broadcasts")
async def broadcast_submit(
    request: Request,
    assistant: PageAssistantDep,
    session: SessionDep,
    principal: PagePrincipalDep,
    kind: Annotated[str, Form()] = "text",
    text: Annotated[str, Form()] = "",
    template_name: Annotated[str, Form()] = "",
    template_language: Annotated[str, Form()] = "en_US",
    recipients: Annotated[str, Form()] = "",
    name: Annotated[str, Form()] = "",
) -> Response:
    broadcasts.require_whatsapp(assistant)
    phones = [p.strip() for p in recipients.replace(",", "\n").splitlines() if p.strip()]
    back = f"/assistants/{assistant.id}/broadcasts"
    back_on_error(request, back)
    if kind == "template":
        outbound = OutboundMessage(
            type="template",
            template=OutboundTemplate(
                name=template_name.strip(), language=template_language.strip() or "en_US"
            ),
        )
    else:
        if not text.strip():
            return redirect(back, error="Write the message to send.")
        outbound = OutboundMessage(type="text", text=text.strip()[:4096])
    await broadcasts.create(
        session,
        assistant=assistant,
        outbound=outbound,
        recipients=phones,
        name=name.strip()[:200] or None,
        created_by=principal.user.id,
    )
    return redirect(back, flash=f"Broadcast queued for {len(set(phones))} recipients.")
