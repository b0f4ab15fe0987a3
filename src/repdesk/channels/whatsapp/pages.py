"""Dashboard pages: WhatsApp connection (Embedded Signup or BYOK, status, check, disconnect)
and Templates. Pages call the WhatsApp service; they never write tables themselves."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response

from repdesk.assistants.deps import PageAssistantDep
from repdesk.channels.whatsapp import service, templates
from repdesk.channels.whatsapp.config import get_whatsapp_settings
from repdesk.channels.whatsapp.models import ConnectionStatus
from repdesk.channels.whatsapp.routes import connection_read, sync_now
from repdesk.dashboard import nav
from repdesk.dashboard.render import back_on_error, redirect, render
from repdesk.db.engine import commit
from repdesk.kit.web import PagePrincipalDep, SessionDep

pages = APIRouter(include_in_schema=False)

nav.add_assistant("WhatsApp", "/whatsapp", 60, platforms=("whatsapp",))
nav.add_assistant("Templates", "/templates", 30, platforms=("whatsapp",))


@pages.get("/assistants/{assistant_id}/whatsapp")
async def whatsapp_page(
    assistant: PageAssistantDep, request: Request, session: SessionDep, principal: PagePrincipalDep
) -> Response:
    conn = await service.get_connection(session, assistant.id)
    s = get_whatsapp_settings()
    return render(
        request,
        "whatsapp/connect.html",
        {
            "assistant": assistant,
            "conn": conn,
            "status": connection_read(conn),
            "signup_enabled": bool(s.meta_app_id and s.meta_app_secret and s.meta_config_id),
            "meta_app_id": s.meta_app_id,
            "meta_config_id": s.meta_config_id,
            "graph_version": s.graph_api_version,
        },
    )


@pages.post("/assistants/{assistant_id}/whatsapp/credentials")
async def save_credentials(
    request: Request,
    assistant: PageAssistantDep,
    session: SessionDep,
    access_token: Annotated[str, Form()] = "",
    phone_number_id: Annotated[str, Form()] = "",
    business_account_id: Annotated[str, Form()] = "",
    phone_number: Annotated[str, Form()] = "",
    app_secret: Annotated[str, Form()] = "",
) -> Response:
    back = f"/assistants/{assistant.id}/whatsapp"
    await commit(session)  # hold no database lock while Meta answers
    back_on_error(request, back)
    await service.connect_byok(
        session,
        assistant,
        access_token=access_token,
        phone_number_id=phone_number_id,
        business_account_id=business_account_id,
        phone_number=phone_number,
        app_secret=app_secret or None,
    )
    return redirect(
        back, flash="WhatsApp connected. Paste the webhook URL and verify token into Meta."
    )


@pages.post("/assistants/{assistant_id}/whatsapp/app-secret")
async def save_app_secret(
    request: Request,
    assistant: PageAssistantDep,
    session: SessionDep,
    principal: PagePrincipalDep,
    app_secret: Annotated[str, Form()] = "",
) -> Response:
    back = f"/assistants/{assistant.id}/whatsapp"
    conn = await service.get_connection(session, assistant.id)
    if conn is None:
        return redirect(back, error="No WhatsApp number is connected.")
    back_on_error(request, back)
    await service.set_app_secret(session, conn, app_secret)
    return redirect(back, flash="App Secret saved: webhooks are verified from now on.")


@pages.post("/assistants/{assistant_id}/whatsapp/check")
async def check(
    request: Request, assistant: PageAssistantDep, session: SessionDep, principal: PagePrincipalDep
) -> Response:
    back = f"/assistants/{assistant.id}/whatsapp"
    conn = await service.get_connection(session, assistant.id)
    if conn is None:
        return redirect(back, error="No WhatsApp number is connected.")
    await commit(session)  # hold no database lock while Meta answers
    back_on_error(request, back)
    conn = await service.check_connection(session, conn)
    # The check's finding (connected or disconnected) is kept even though a failed check is
    # reported as an error redirect, which would otherwise roll the request back.
    await commit(session)
    if conn.status != ConnectionStatus.CONNECTED:
        return redirect(back, error=conn.status_reason or "Disconnected.")
    return redirect(back, flash="Connection checked: Meta accepts the token.")


@pages.post("/assistants/{assistant_id}/whatsapp/disconnect")
async def disconnect(
    assistant: PageAssistantDep, session: SessionDep, principal: PagePrincipalDep
) -> Response:
    await service.disconnect(session, assistant)
    return redirect(
        f"/assistants/{assistant.id}/whatsapp", flash="WhatsApp disconnected; credentials removed."
    )


@pages.get("/assistants/{assistant_id}/templates")
async def templates_page(
    assistant: PageAssistantDep, request: Request, session: SessionDep, principal: PagePrincipalDep
) -> Response:
    conn = await service.get_connection(session, assistant.id)
    rows = await templates.list_templates(session, assistant.id)
    return render(
        request,
        "whatsapp/templates.html",
        {
            "assistant": assistant,
            "conn": conn,
            "templates": rows,
        },
    )


@pages.post("/assistants/{assistant_id}/templates/sync")
async def templates_sync(
    request: Request, assistant: PageAssistantDep, session: SessionDep, principal: PagePrincipalDep
) -> Response:
    back = f"/assistants/{assistant.id}/templates"
    conn = await service.get_connection(session, assistant.id)
    if conn is None or conn.status != ConnectionStatus.CONNECTED:
        return redirect(back, error="Connect a WhatsApp number first.")
    back_on_error(request, back)
    await sync_now(session, conn)
    return redirect(back, flash="Templates synced from Meta.")
