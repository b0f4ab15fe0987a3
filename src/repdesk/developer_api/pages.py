"""Dashboard: the "Developer API" page of a WhatsApp assistant (keys, webhooks, delivery log).
Pages call the services; they write no table themselves."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response
from sqlalchemy.ext.asyncio import AsyncSession

from repdesk.assistants import service as assistants
from repdesk.assistants.models import Assistant
from repdesk.dashboard import nav
from repdesk.dashboard.render import back_on_error, redirect, render
from repdesk.developer_api import service, webhooks
from repdesk.kit.errors import NotFound
from repdesk.kit.web import PagePrincipalDep, SessionDep

pages = APIRouter(include_in_schema=False)

nav.add_assistant("Developer API", "/developer", 80, platforms=("whatsapp",))


async def _assistant(session: AsyncSession, principal: Any, assistant_id: str) -> Assistant:
    assistant = await assistants.get_or_404(
        session, workspace_id=principal.workspace.id, assistant_id=assistant_id
    )
    if assistant.platform != "whatsapp":
        raise NotFound("The Developer API is available for WhatsApp assistants.")
    return assistant


async def _developer_context(session: AsyncSession, assistant: Assistant) -> dict[str, Any]:
    endpoints = await webhooks.list_endpoints(session, assistant_id=assistant.id)
    logs = {}
    for endpoint in endpoints:
        rows, _more, _next = await webhooks.deliveries_page(
            session, endpoint_id=endpoint.id, limit=20
        )
        logs[endpoint.id] = rows
    return {
        "assistant": assistant,
        "keys": await service.list_keys(session, assistant_id=assistant.id),
        "endpoints": endpoints,
        "logs": logs,
        "events": webhooks.EVENTS,
    }


@pages.get("/assistants/{assistant_id}/developer")
async def developer_page(
    assistant_id: str, request: Request, session: SessionDep, principal: PagePrincipalDep
) -> Response:
    assistant = await _assistant(session, principal, assistant_id)
    return render(request, "developer_api/index.html", await _developer_context(session, assistant))


@pages.post("/assistants/{assistant_id}/developer/keys")
async def create_key_submit(
    assistant_id: str,
    request: Request,
    session: SessionDep,
    principal: PagePrincipalDep,
    name: Annotated[str, Form()] = "",
    environment: Annotated[str, Form()] = "live",
) -> Response:
    assistant = await _assistant(session, principal, assistant_id)
    back_on_error(request, f"/assistants/{assistant_id}/developer")
    created = await service.create_key(
        session,
        assistant=assistant,
        name=name,
        environment=environment,
        created_by=principal.user.id,
    )
    ctx = await _developer_context(session, assistant)
    ctx["new_key"] = created.raw  # shown on this page once, never again
    return render(request, "developer_api/index.html", ctx, status=201)


@pages.post("/assistants/{assistant_id}/developer/keys/{key_id}/revoke")
async def revoke_key_submit(
    assistant_id: str, key_id: str, session: SessionDep, principal: PagePrincipalDep
) -> Response:
    assistant = await _assistant(session, principal, assistant_id)
    key = await service.get_key_for_workspace(
        session, workspace_id=principal.workspace.id, key_id=key_id
    )
    if key.assistant_id != assistant.id:
        raise NotFound("API key not found.")
    await service.revoke_key(session, key)
    return redirect(f"/assistants/{assistant_id}/developer", flash=f"Key {key.name} revoked.")


@pages.post("/assistants/{assistant_id}/developer/webhooks")
async def create_webhook_submit(
    assistant_id: str,
    request: Request,
    session: SessionDep,
    principal: PagePrincipalDep,
    url: Annotated[str, Form()] = "",
    events: Annotated[list[str] | None, Form()] = None,
) -> Response:
    assistant = await _assistant(session, principal, assistant_id)
    back_on_error(request, f"/assistants/{assistant_id}/developer")
    endpoint, secret = await webhooks.create_endpoint(
        session, assistant_id=assistant.id, url=url, events=events or None
    )
    ctx = await _developer_context(session, assistant)
    ctx["new_secret"] = secret
    ctx["new_secret_url"] = endpoint.url
    return render(request, "developer_api/index.html", ctx, status=201)


@pages.post("/assistants/{assistant_id}/developer/webhooks/{endpoint_id}/delete")
async def delete_webhook_submit(
    assistant_id: str, endpoint_id: str, session: SessionDep, principal: PagePrincipalDep
) -> Response:
    assistant = await _assistant(session, principal, assistant_id)
    endpoint = await webhooks.get_endpoint_or_404(
        session, assistant_id=assistant.id, endpoint_id=endpoint_id
    )
    await webhooks.delete_endpoint(session, endpoint)
    return redirect(f"/assistants/{assistant_id}/developer", flash="Webhook deleted.")


@pages.post(
    "/assistants/{assistant_id}/developer/webhooks/{endpoint_id}/deliveries/{delivery_id}/redeliver"
)
async def redeliver_submit(
    assistant_id: str,
    endpoint_id: str,
    delivery_id: str,
    session: SessionDep,
    principal: PagePrincipalDep,
) -> Response:
    assistant = await _assistant(session, principal, assistant_id)
    endpoint = await webhooks.get_endpoint_or_404(
        session, assistant_id=assistant.id, endpoint_id=endpoint_id
    )
    await webhooks.redeliver(session, endpoint=endpoint, delivery_id=delivery_id)
    return redirect(f"/assistants/{assistant_id}/developer", flash="Delivery queued again.")
