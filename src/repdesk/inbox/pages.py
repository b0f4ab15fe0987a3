"""The "Messages" page: conversation list, conversation view, reply box, live updates.

The page is a server-rendered shell; ``/static/inbox/inbox.js`` fills it from the inbox API
and the event stream (building DOM with textContent: customer text is never HTML).
"""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import Response
from fastapi.staticfiles import StaticFiles

from repdesk.assistants.deps import PageAssistantDep
from repdesk.dashboard import nav
from repdesk.dashboard.render import render
from repdesk.kit.web import PagePrincipalDep, SessionDep

pages = APIRouter(include_in_schema=False)
STATIC = Path(__file__).parent / "static"

nav.add_assistant("Messages", "/messages", 5)


def setup_app(app: FastAPI) -> None:
    app.mount("/static/inbox", StaticFiles(directory=STATIC), name="inbox-static")


@pages.get("/assistants/{assistant_id}/messages")
async def messages_page(
    assistant: PageAssistantDep, request: Request, session: SessionDep, principal: PagePrincipalDep
) -> Response:
    selected = request.query_params.get("c", "")
    return render(
        request,
        "inbox/messages.html",
        {
            "assistant": assistant,
            "selected": selected if selected.isalnum() else "",
            "q": request.query_params.get("q", "")[:100],
        },
    )
