"""WhatsApp routes: the management API (session auth) and Meta's webhooks.

- ``POST /api/assistants/{id}/whatsapp/credentials``: BYOK (seed 004), validated against Meta
- ``PUT /api/assistants/{id}/whatsapp/app-secret``: add the App Secret to a BYOK connection
- ``GET|DELETE /api/assistants/{id}/whatsapp``, ``POST .../whatsapp/check``: status, disconnect
- ``GET .../whatsapp/templates``, ``POST .../whatsapp/templates/sync``
- ``POST .../whatsapp/embedded-signup``: finish Meta's Embedded Signup on the server
- ``GET /webhooks/whatsapp_cloud/{webhookPath}``, ``GET /webhooks/whatsapp``: Meta's
  subscription handshakes. Meta's POSTs to the same URLs are taken by the inbound intake
  (``repdesk.inbound.routes``) through the verifiers of :mod:`webhook`.
"""

from __future__ import annotations

import hmac
import logging

from fastapi import APIRouter, Request, Response
from fastapi.responses import PlainTextResponse
from sqlalchemy.ext.asyncio import AsyncSession

from repdesk.accounts.service import Principal
from repdesk.assistants import service as assistants
from repdesk.assistants.deps import AssistantDep
from repdesk.assistants.models import Assistant
from repdesk.channels.whatsapp import service, templates
from repdesk.channels.whatsapp.client import GraphClient, GraphError
from repdesk.channels.whatsapp.config import get_whatsapp_settings
from repdesk.channels.whatsapp.models import ConnectionStatus, WhatsAppConnection
from repdesk.channels.whatsapp.schemas import (
    AppSecretUpdate,
    ConnectionRead,
    CredentialsCreate,
    CredentialsResult,
    EmbeddedSignup,
    EmbeddedSignupConfig,
    IntegrationCredentials,
    TemplateList,
    TemplateRead,
)
from repdesk.db.engine import commit
from repdesk.kit.errors import Forbidden, NotFound, ValidationError
from repdesk.kit.web import PrincipalDep, SessionDep

log = logging.getLogger("repdesk.whatsapp")

router = APIRouter(tags=["whatsapp"])


async def _assistant(session: AsyncSession, principal: Principal, assistant_id: str) -> Assistant:
    return await assistants.get_or_404(
        session, workspace_id=principal.workspace.id, assistant_id=assistant_id
    )


def connection_read(conn: WhatsAppConnection | None) -> ConnectionRead:
    if conn is None:
        return ConnectionRead(connected=False, status="not_connected")
    return ConnectionRead(
        connected=conn.status == ConnectionStatus.CONNECTED,
        status=conn.status,
        status_reason=conn.status_reason,
        mode=conn.mode,
        phone_number=conn.phone_number,
        phone_number_id=conn.phone_number_id,
        business_account_id=conn.business_account_id,
        display_name=conn.display_name,
        quality_rating=conn.quality_rating,
        messaging_tier=conn.messaging_tier,
        webhook_url=service.webhook_url(conn) if conn.mode == "byok" else None,
        verify_token=conn.verify_token if conn.mode == "byok" else None,
        signature_verification=service.is_secured(conn),
        secured=service.is_secured(conn),
        unsigned_webhooks_seen=conn.unsigned_seen,
        checked_at=conn.checked_at,
    )


async def _connect_byok(
    session: AsyncSession, assistant: Assistant, body: CredentialsCreate
) -> CredentialsResult:
    await commit(session)  # hold no database lock while Meta answers
    conn = await service.connect_byok(
        session,
        assistant,
        access_token=body.access_token,
        phone_number_id=body.phone_number_id,
        business_account_id=body.business_account_id,
        phone_number=body.phone_number,
        app_secret=body.app_secret,
    )
    return CredentialsResult(
        webhook_url=service.webhook_url(conn), verify_token=conn.verify_token, status=conn.status
    )


@router.post(
    "/api/assistants/{assistant_id}/whatsapp/credentials", response_model=CredentialsResult
)
async def save_credentials(
    assistant: AssistantDep, body: CredentialsCreate, session: SessionDep, principal: PrincipalDep
) -> CredentialsResult:
    """Connect a number with your own Cloud API credentials (BYOK). The token is checked
    against Meta first: an invalid or expired token is a 400 and nothing is saved. Returns the
    webhook URL and verify token to paste into Meta's App Dashboard."""
    return await _connect_byok(session, assistant, body)


@router.post("/api/integrations/credentials", response_model=CredentialsResult)
async def save_integration_credentials(
    body: IntegrationCredentials, session: SessionDep, principal: PrincipalDep
) -> CredentialsResult:
    """Seed 004's form of the BYOK call. Names the assistant with ``assistantId``, or picks the
    workspace's only WhatsApp assistant."""
    if body.assistant_id:
        assistant = await _assistant(session, principal, body.assistant_id)
    else:
        candidates = [
            a
            for a in await assistants.list_all(session, workspace_id=principal.workspace.id)
            if a.platform == "whatsapp"
        ]
        if len(candidates) != 1:
            raise ValidationError(
                f"assistantId is required: the workspace has {len(candidates)} WhatsApp assistants."
            )
        assistant = candidates[0]
    return await _connect_byok(session, assistant, body)


@router.put("/api/assistants/{assistant_id}/whatsapp/app-secret", response_model=ConnectionRead)
async def save_app_secret(
    assistant: AssistantDep, body: AppSecretUpdate, session: SessionDep, principal: PrincipalDep
) -> ConnectionRead:
    """Save (or replace) the App Secret of a BYOK connection without re-entering the token:
    its webhooks are then verified (a connection without one refuses every webhook post)."""
    conn = service.require_connected(await service.get_connection(session, assistant.id))
    await service.set_app_secret(session, conn, body.app_secret)
    return connection_read(conn)


@router.get("/api/assistants/{assistant_id}/whatsapp", response_model=ConnectionRead)
async def get_connection(
    assistant: AssistantDep, session: SessionDep, principal: PrincipalDep
) -> ConnectionRead:
    """Connection status, display name, quality rating and messaging tier."""
    return connection_read(await service.get_connection(session, assistant.id))


@router.post("/api/assistants/{assistant_id}/whatsapp/check", response_model=ConnectionRead)
async def check_connection(
    assistant: AssistantDep, session: SessionDep, principal: PrincipalDep
) -> ConnectionRead:
    """Ask Meta again: refreshes the details; a rejected token marks it disconnected."""
    conn = service.require_connected(await service.get_connection(session, assistant.id))
    await commit(session)
    conn = await service.check_connection(session, conn)
    return connection_read(conn)


@router.delete("/api/assistants/{assistant_id}/whatsapp", status_code=204)
async def disconnect(assistant: AssistantDep, session: SessionDep) -> Response:
    """Disconnect the number: its credentials and synced templates are deleted."""
    await service.disconnect(session, assistant)
    return Response(status_code=204)


@router.get("/api/assistants/{assistant_id}/whatsapp/templates", response_model=TemplateList)
async def list_templates(
    assistant: AssistantDep, session: SessionDep, principal: PrincipalDep
) -> TemplateList:
    """The number's message templates as last synced from its WhatsApp Business Account."""
    rows = await templates.list_templates(session, assistant.id)
    return TemplateList(data=[TemplateRead.model_validate(r) for r in rows])


async def sync_now(session: AsyncSession, conn: WhatsAppConnection) -> None:
    """Network: fetch the WABA's templates now (the route commits what it held first)."""
    token, waba, assistant_id = (
        service.access_token(conn),
        conn.business_account_id,
        conn.assistant_id,
    )
    await commit(session)
    try:
        infos = await GraphClient(token).list_templates(waba)
    except GraphError as exc:
        if exc.code == 190:
            await service.mark_disconnected(
                session, conn, "Meta rejected the access token (code 190)."
            )
            await commit(session)
        raise service.MetaUnavailableError(
            f"Templates could not be fetched from Meta: {exc.message}"
        ) from exc
    await templates.store_templates(session, assistant_id, infos)


@router.post("/api/assistants/{assistant_id}/whatsapp/templates/sync", response_model=TemplateList)
async def sync_templates(
    assistant: AssistantDep, session: SessionDep, principal: PrincipalDep
) -> TemplateList:
    """Fetch the templates from Meta now (they also sync on connect and periodically)."""
    conn = service.require_connected(await service.get_connection(session, assistant.id))
    await sync_now(session, conn)
    rows = await templates.list_templates(session, assistant.id)
    return TemplateList(data=[TemplateRead.model_validate(r) for r in rows])


@router.get("/api/whatsapp/embedded-signup", response_model=EmbeddedSignupConfig)
async def embedded_signup_config(principal: PrincipalDep) -> EmbeddedSignupConfig:
    """What the page needs to launch Meta's Embedded Signup (empty when not configured)."""
    s = get_whatsapp_settings()
    return EmbeddedSignupConfig(
        enabled=bool(s.meta_app_id and s.meta_app_secret and s.meta_config_id),
        app_id=s.meta_app_id,
        config_id=s.meta_config_id,
        graph_api_version=s.graph_api_version,
    )


@router.post(
    "/api/assistants/{assistant_id}/whatsapp/embedded-signup", response_model=ConnectionRead
)
async def embedded_signup(
    assistant: AssistantDep, body: EmbeddedSignup, session: SessionDep, principal: PrincipalDep
) -> ConnectionRead:
    """Finish Embedded Signup: exchange Meta's code for a business token, subscribe the app to
    the WABA, register the number, and save the connection."""
    await commit(session)
    conn = await service.connect_embedded(
        session,
        assistant,
        code=body.code,
        business_account_id=body.business_account_id,
        phone_number_id=body.phone_number_id,
    )
    return connection_read(conn)


# -- Meta's webhooks ------------------------------------------------------------------------


def _handshake(request: Request, verify_token: str) -> Response:
    q = request.query_params
    sent = q.get("hub.verify_token", "")
    if (
        q.get("hub.mode") == "subscribe"
        and verify_token
        and hmac.compare_digest(sent, verify_token)
    ):
        return PlainTextResponse(q.get("hub.challenge", ""))
    raise Forbidden("The verify token does not match.", code="VERIFY_TOKEN_MISMATCH")


@router.get("/webhooks/whatsapp_cloud/{webhook_path}", include_in_schema=False)
async def byok_handshake(webhook_path: str, request: Request, session: SessionDep) -> Response:
    conn = await service.get_connection_by_path(session, webhook_path)
    if conn is None:
        raise NotFound("Unknown webhook.")
    return _handshake(request, conn.verify_token)


@router.get("/webhooks/whatsapp", include_in_schema=False)
async def platform_handshake(request: Request) -> Response:
    return _handshake(request, get_whatsapp_settings().meta_verify_token)
