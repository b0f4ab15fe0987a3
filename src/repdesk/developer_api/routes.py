"""Management of API keys (dashboard session auth) and the /v1 mount."""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, FastAPI, Query, Response
from pydantic import Field
from sqlalchemy.ext.asyncio import AsyncSession

from repdesk.assistants import service as assistants
from repdesk.assistants.deps import AssistantDep
from repdesk.developer_api import service, webhooks
from repdesk.developer_api.models import ApiKey, WebhookDelivery, WebhookEndpoint
from repdesk.developer_api.schemas import WebhookCreate
from repdesk.developer_api.v1 import build_v1_app
from repdesk.kit.pagination import page
from repdesk.kit.schemas import StrictCamelModel
from repdesk.kit.time import isoformat
from repdesk.kit.web import PrincipalDep, SessionDep

router = APIRouter(prefix="/api", tags=["developer api"])


def setup_app(app: FastAPI) -> None:
    app.mount("/v1", build_v1_app(app))


class ApiKeyCreate(StrictCamelModel):
    name: str = Field(min_length=1, max_length=100)
    environment: Literal["live", "test"] = "live"


def key_read(key: ApiKey) -> dict[str, Any]:
    return {
        "id": key.id,
        "name": key.name,
        "prefix": key.prefix,
        "last4": key.last4,
        "environment": key.environment,
        "createdAt": isoformat(key.created_at),
        "lastUsedAt": isoformat(key.last_used_at),
        "revokedAt": isoformat(key.revoked_at),
        "assistantId": key.assistant_id,
    }


@router.post("/assistants/{assistant_id}/api-keys", status_code=201)
async def create_api_key(
    assistant: AssistantDep, body: ApiKeyCreate, session: SessionDep, principal: PrincipalDep
) -> dict[str, Any]:
    """Create a Developer API key for a WhatsApp assistant. `key` is shown only in this answer:
    repdesk stores its SHA-256 hash."""
    created = await service.create_key(
        session,
        assistant=assistant,
        name=body.name,
        environment=body.environment,
        created_by=principal.user.id,
    )
    return {**key_read(created.key), "key": created.raw}


@router.get("/assistants/{assistant_id}/api-keys")
async def list_api_keys(
    assistant: AssistantDep, session: SessionDep, principal: PrincipalDep
) -> dict[str, Any]:
    """The assistant's keys by prefix and last four characters, newest first."""
    keys = await service.list_keys(session, assistant_id=assistant.id)
    return page([key_read(k) for k in keys], False, None)


@router.delete("/api-keys/{key_id}", status_code=204)
async def revoke_api_key(key_id: str, session: SessionDep, principal: PrincipalDep) -> Response:
    """Revoke a key: it answers 401 INVALID_API_KEY from now on."""
    key = await service.get_key_for_workspace(
        session, workspace_id=principal.workspace.id, key_id=key_id
    )
    await service.revoke_key(session, key)
    return Response(status_code=204)


# -- webhooks (the dashboard's view of them) ------------------------------------------------


def endpoint_read(endpoint: WebhookEndpoint) -> dict[str, Any]:
    return {
        "id": endpoint.id,
        "url": endpoint.url,
        "events": endpoint.events,
        "active": endpoint.active,
        "createdAt": isoformat(endpoint.created_at),
    }


def delivery_read(d: WebhookDelivery) -> dict[str, Any]:
    return {
        "id": d.id,
        "event": d.event,
        "status": d.status,
        "attempts": d.attempts,
        "responseCode": d.response_code,
        "latencyMs": d.latency_ms,
        "lastError": d.last_error,
        "createdAt": isoformat(d.created_at),
        "lastAttemptAt": isoformat(d.last_attempt_at),
        "nextAttemptAt": isoformat(d.next_attempt_at),
        "deliveredAt": isoformat(d.delivered_at),
    }


async def _endpoint_for_workspace(
    session: AsyncSession, workspace_id: str, endpoint_id: str
) -> WebhookEndpoint:
    return await assistants.get_in_workspace(
        session,
        WebhookEndpoint,
        endpoint_id,
        workspace_id=workspace_id,
        missing="Webhook not found.",
    )


@router.get("/assistants/{assistant_id}/webhooks")
async def list_webhooks(
    assistant: AssistantDep, session: SessionDep, principal: PrincipalDep
) -> dict[str, Any]:
    """The assistant's webhook endpoints (the signing secrets are never shown again)."""
    rows = await webhooks.list_endpoints(session, assistant_id=assistant.id)
    return page([endpoint_read(e) for e in rows], False, None)


@router.post("/assistants/{assistant_id}/webhooks", status_code=201)
async def create_webhook(
    assistant: AssistantDep, body: WebhookCreate, session: SessionDep, principal: PrincipalDep
) -> dict[str, Any]:
    """Register an endpoint; the answer carries its signing `secret`, once."""
    endpoint, secret = await webhooks.create_endpoint(
        session, assistant_id=assistant.id, url=body.url, events=body.events
    )
    return {**endpoint_read(endpoint), "secret": secret}


@router.delete("/webhooks/{endpoint_id}", status_code=204)
async def delete_webhook(
    endpoint_id: str, session: SessionDep, principal: PrincipalDep
) -> Response:
    endpoint = await _endpoint_for_workspace(session, principal.workspace.id, endpoint_id)
    await webhooks.delete_endpoint(session, endpoint)
    return Response(status_code=204)


@router.get("/webhooks/{endpoint_id}/deliveries")
async def list_deliveries(
    endpoint_id: str,
    session: SessionDep,
    principal: PrincipalDep,
    limit: int | None = Query(default=None),
    cursor: str | None = Query(default=None, max_length=64),
) -> dict[str, Any]:
    """The endpoint's delivery log, newest first: status, attempts, response code, latency."""
    endpoint = await _endpoint_for_workspace(session, principal.workspace.id, endpoint_id)
    rows, has_more, nxt = await webhooks.deliveries_page(
        session, endpoint_id=endpoint.id, limit=limit, cursor=cursor
    )
    return page([delivery_read(d) for d in rows], has_more, nxt)


@router.post("/webhooks/{endpoint_id}/deliveries/{delivery_id}/redeliver", status_code=202)
async def redeliver(
    endpoint_id: str, delivery_id: str, session: SessionDep, principal: PrincipalDep
) -> dict[str, Any]:
    """Send a logged delivery again, with the same body (a new entry in the log)."""
    endpoint = await _endpoint_for_workspace(session, principal.workspace.id, endpoint_id)
    copy = await webhooks.redeliver(session, endpoint=endpoint, delivery_id=delivery_id)
    return delivery_read(copy)
