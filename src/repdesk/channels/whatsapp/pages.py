"""Dashboard pages: WhatsApp connection (Embedded Signup or BYOK, status, check, disconnect)
and Templates (list, editor with a live preview, submit, resubmit, delete). Pages call the
WhatsApp services; they never write tables themselves."""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import Response

from repdesk.assistants.deps import PageAssistantDep
from repdesk.channels.whatsapp import authoring, service, template_rules, templates
from repdesk.channels.whatsapp.config import get_whatsapp_settings
from repdesk.channels.whatsapp.models import ConnectionStatus, TemplateStatus
from repdesk.channels.whatsapp.routes import connection_read, sync_now
from repdesk.channels.whatsapp.template_rules import TemplateInvalid
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


# The limits the editor's checks mirror (static/templates.js), from the server's rules.
RULES = {
    name.lower(): getattr(template_rules, name)
    for name in (
        "NAME_MAX",
        "HEADER_MAX",
        "BODY_MAX",
        "FOOTER_MAX",
        "BUTTON_TEXT_MAX",
        "BUTTONS_MAX",
        "URL_BUTTONS_MAX",
        "PHONE_BUTTONS_MAX",
        "URL_MAX",
        "PHONE_MAX",
        "EXAMPLE_MAX",
        "CODE_EXPIRATION_MAX",
    )
}


@pages.get("/assistants/{assistant_id}/templates")
async def templates_page(
    assistant: PageAssistantDep,
    request: Request,
    session: SessionDep,
    principal: PagePrincipalDep,
    edit: str = "",
) -> Response:
    conn = await service.get_connection(session, assistant.id)
    rows = await templates.list_templates(session, assistant.id)
    editing = next((r for r in rows if r.id == edit and r.status == TemplateStatus.REJECTED), None)
    return render(
        request,
        "whatsapp/templates.html",
        {
            "assistant": assistant,
            "conn": conn,
            "templates": rows,
            "rules": RULES,
            "editing": authoring.template_of(editing) if editing else None,
            "editing_row": editing,
        },
    )


def _with_handle(components: list[Any], handle: str) -> None:
    for comp in components:
        if isinstance(comp, dict) and str(comp.get("type", "")).upper() == "HEADER":
            comp["example"] = {"header_handle": [handle]}


@pages.post("/assistants/{assistant_id}/templates/save")
async def templates_save(
    request: Request,
    assistant: PageAssistantDep,
    session: SessionDep,
    principal: PagePrincipalDep,
    name: Annotated[str, Form()] = "",
    language: Annotated[str, Form()] = "",
    category: Annotated[str, Form()] = "",
    components: Annotated[str, Form()] = "[]",
    template_id: Annotated[str, Form()] = "",
    header_file: Annotated[UploadFile | None, File()] = None,
) -> Response:
    """The editor's form: an optional header sample goes to Meta's upload API first, then
    the template is submitted (or, with ``template_id``, a rejected one resubmitted)."""
    back = f"/assistants/{assistant.id}/templates"
    back_on_error(request, back + (f"?edit={template_id}" if template_id else ""))
    try:
        parts = json.loads(components)
    except ValueError as exc:
        raise TemplateInvalid("components", "could not be read: reload the page.") from exc
    row = None
    if template_id:
        row = await authoring.get_or_404(session, principal.workspace.id, template_id)
        if row.assistant_id != assistant.id:
            raise TemplateInvalid("template", "belongs to another assistant.")
    if header_file is not None and header_file.filename and isinstance(parts, list):
        data = await header_file.read(authoring.HEADER_MEDIA_MAX + 1)
        handle = await authoring.upload_header(
            session,
            assistant,
            data=data,
            mime_type=(header_file.content_type or "").split(";")[0].strip().lower(),
            filename=header_file.filename,
        )
        _with_handle(parts, handle)
    if row is not None:
        await authoring.resubmit(session, row, {"category": category, "components": parts})
        return redirect(back, flash=f"{row.name} resubmitted to Meta for review.")
    data_in = {"name": name, "language": language, "category": category, "components": parts}
    created = await authoring.submit(session, assistant, data_in)
    return redirect(
        back,
        flash=f"{created.name} submitted to Meta. It is pending review (usually within 24 hours).",
    )


@pages.post("/assistants/{assistant_id}/templates/{template_id}/delete")
async def templates_delete(
    request: Request,
    assistant: PageAssistantDep,
    template_id: str,
    session: SessionDep,
    principal: PagePrincipalDep,
) -> Response:
    back = f"/assistants/{assistant.id}/templates"
    back_on_error(request, back)
    row = await authoring.get_or_404(session, principal.workspace.id, template_id)
    if row.assistant_id != assistant.id:
        return redirect(back, error="No such template.")
    name = row.name
    await authoring.delete(session, row)
    return redirect(back, flash=f"{name} deleted at Meta and here.")


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
