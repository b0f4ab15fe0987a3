"""Widget routes: management (``/api/assistants/{id}/widget``, session auth) and the public
visitor API the embed script calls (``/widget/v1/{publicId}/...``, Origin-checked, CORS)."""

from __future__ import annotations

import gzip
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, FastAPI, File, Form, Request, Response, UploadFile
from sqlalchemy.ext.asyncio import AsyncSession

from repdesk.assistants import service as assistants
from repdesk.assistants.models import Assistant
from repdesk.channels.widget import gateway
from repdesk.channels.widget import service as widget
from repdesk.channels.widget.config import widget_settings
from repdesk.channels.widget.cors import WidgetCORSMiddleware
from repdesk.channels.widget.schemas import (
    VisitorMessageCreate,
    VisitorSessionCreate,
    WidgetSettingsRead,
    WidgetSettingsUpdate,
)
from repdesk.db.engine import commit
from repdesk.files import service as files
from repdesk.files.models import StoredFile
from repdesk.kit.clientip import client_ip
from repdesk.kit.errors import RateLimited
from repdesk.kit.web import PrincipalDep, SessionDep
from repdesk.transcription.service import get_transcriber

router = APIRouter(tags=["widget"])

SCRIPT_PATH = Path(__file__).parent / "static" / "widget.js"


def setup_app(app: FastAPI) -> None:
    app.add_middleware(WidgetCORSMiddleware)


# -- management ----------------------------------------------------------------------------------


def settings_read(request: Request, assistant: Assistant, s: dict[str, Any]) -> WidgetSettingsRead:
    base = request.app.state.settings.base_url
    transcriber = get_transcriber()
    return WidgetSettingsRead(
        assistant_id=assistant.id,
        public_id=s["publicId"],
        embed_code=widget.embed_code(base, s["publicId"]),
        script_url=f"{base}/widget.js",
        color=s["color"],
        theme=s["theme"],
        position=s["position"],
        welcome_message=s["welcomeMessage"],
        business_name=s["businessName"],
        font=s["font"],
        voice_enabled=s["voiceEnabled"],
        files_enabled=s["filesEnabled"],
        allowed_domains=list(s["allowedDomains"]),
        avatar_file_id=s.get("avatarFileId"),
        avatar_url=f"/api/files/{s['avatarFileId']}" if s.get("avatarFileId") else None,
        transcription_available=transcriber is not None,
        transcription_provider=transcriber.description if transcriber else None,
    )


async def _widget_assistant(session: AsyncSession, principal: Any, assistant_id: str) -> Assistant:
    assistant = await assistants.get_or_404(
        session, workspace_id=principal.workspace.id, assistant_id=assistant_id
    )
    widget.require_widget(assistant)
    return assistant


@router.get("/api/assistants/{assistant_id}/widget", response_model=WidgetSettingsRead)
async def get_widget(
    assistant_id: str, request: Request, session: SessionDep, principal: PrincipalDep
) -> WidgetSettingsRead:
    """The web widget's settings, its public id and the embed code to paste before ``</body>``."""
    assistant = await _widget_assistant(session, principal, assistant_id)
    s = await widget.ensure_public_id(session, assistant)
    return settings_read(request, assistant, s)


@router.patch("/api/assistants/{assistant_id}/widget", response_model=WidgetSettingsRead)
async def patch_widget(
    assistant_id: str,
    body: WidgetSettingsUpdate,
    request: Request,
    session: SessionDep,
    principal: PrincipalDep,
) -> WidgetSettingsRead:
    """Change any of the widget's settings. ``allowedDomains`` are host names, optionally with
    a port (``shop.example.com``, ``shop.localhost:8080``); ``*.example.com`` allows
    subdomains; nothing, localhost included, is allowed unless listed."""
    assistant = await _widget_assistant(session, principal, assistant_id)
    changes = body.model_dump(exclude_unset=True, by_alias=True)
    s = await widget.update_widget(session, assistant, changes)
    return settings_read(request, assistant, s)


@router.post("/api/assistants/{assistant_id}/widget/avatar", response_model=WidgetSettingsRead)
async def upload_avatar(
    assistant_id: str,
    request: Request,
    session: SessionDep,
    principal: PrincipalDep,
    file: Annotated[UploadFile, File()],
) -> WidgetSettingsRead:
    """Upload the avatar shown in the widget's header (PNG, JPEG, GIF or WebP, up to 1 MB)."""
    assistant = await _widget_assistant(session, principal, assistant_id)
    data = await widget.read_limited(file, widget.MAX_AVATAR_BYTES)
    s = await widget.set_avatar(session, assistant, data=data, filename=file.filename or "")
    return settings_read(request, assistant, s)


# -- the embed script ------------------------------------------------------------------------------

_SCRIPT: dict[str, bytes] = {}


def _script() -> tuple[bytes, bytes]:
    if not _SCRIPT:
        raw = SCRIPT_PATH.read_bytes()
        _SCRIPT["raw"] = raw
        _SCRIPT["gz"] = gzip.compress(raw, 9)
    return _SCRIPT["raw"], _SCRIPT["gz"]


@router.get("/widget.js", include_in_schema=False)
async def widget_script(request: Request) -> Response:
    raw, gz = _script()
    headers = {
        "Cache-Control": "public, max-age=300",
        "Vary": "Accept-Encoding",
        "X-Content-Type-Options": "nosniff",
        "Access-Control-Allow-Origin": "*",
    }
    if "gzip" in request.headers.get("accept-encoding", ""):
        headers["Content-Encoding"] = "gzip"
        return Response(gz, media_type="application/javascript; charset=utf-8", headers=headers)
    return Response(raw, media_type="application/javascript; charset=utf-8", headers=headers)


# -- the visitor API -------------------------------------------------------------------------------


@dataclass
class WidgetContext:
    assistant: Assistant
    settings: dict[str, Any]
    ip: str


async def widget_context(public_id: str, request: Request, session: SessionDep) -> WidgetContext:
    ip = client_ip(request)
    await gateway.check_ip_rate(request.app.state.limiter, ip)
    assistant, s = await widget.get_by_public_id(session, public_id)
    widget.check_origin(s, request.headers.get("origin"))
    return WidgetContext(assistant, s, ip)


CtxDep = Annotated[WidgetContext, Depends(widget_context)]


def visitor_of(request: Request, ctx: WidgetContext) -> str:
    token = request.headers.get("x-widget-token") or request.query_params.get("token")
    return widget.verify_visitor_token(ctx.assistant.id, token)


async def check_visitor_rate(request: Request, ctx: WidgetContext, visitor_id: str) -> None:
    await gateway.check_visitor_rate(request.app.state.limiter, ctx.assistant.id, visitor_id)


public = APIRouter(prefix="/widget/v1/{public_id}", tags=["widget (visitor)"])


@public.get("/config")
async def visitor_config(ctx: CtxDep) -> dict[str, Any]:
    """What the embed script draws: name, colours, position, features."""
    return widget.public_config(ctx.assistant, ctx.settings)


@public.post("/session")
async def visitor_session(
    body: VisitorSessionCreate, request: Request, ctx: CtxDep
) -> dict[str, Any]:
    """Start (or confirm) a visitor: returns the token the widget keeps in local storage."""
    if body.token:
        try:
            visitor_id = widget.verify_visitor_token(ctx.assistant.id, body.token)
            return {"token": body.token, "visitorId": visitor_id, "new": False}
        except widget.InvalidVisitorTokenError:
            pass
    decision = await request.app.state.limiter.hit(
        widget_settings().session_rate_limit, "widget-session", ctx.ip
    )
    if not decision.allowed:
        raise RateLimited(
            "Too many new chats from this network: wait a minute.", headers={"Retry-After": "60"}
        )
    visitor_id, token = widget.issue_visitor_token(ctx.assistant.id)
    return {"token": token, "visitorId": visitor_id, "new": True}


@public.get("/messages")
async def visitor_messages(request: Request, session: SessionDep, ctx: CtxDep) -> dict[str, Any]:
    """The visitor's conversation so far (the latest messages, oldest first)."""
    visitor_id = visitor_of(request, ctx)
    return {"data": await widget.history(session, ctx.assistant, visitor_id)}


@public.post("/messages", status_code=201)
async def visitor_send(
    body: VisitorMessageCreate, request: Request, session: SessionDep, ctx: CtxDep
) -> dict[str, Any]:
    """Send a text message (the fallback transport when WebSockets are blocked)."""
    visitor_id = visitor_of(request, ctx)
    await check_visitor_rate(request, ctx, visitor_id)
    data = await widget.receive_text(
        session, ctx.assistant, visitor_id=visitor_id, text=body.text, client_id=body.client_id
    )
    await commit(session)  # commit (and publish) before waking the worker that answers
    gateway.wake_worker(request.app)
    return data


def _check_length(request: Request, limit: int) -> None:
    length = request.headers.get("content-length")
    if length and length.isdigit() and int(length) > limit + 64 * 1024:
        raise widget.FileTooLargeError(f"The file is larger than {limit // (1024 * 1024)} MB.")


@public.post("/files", status_code=201)
async def visitor_upload(
    request: Request,
    session: SessionDep,
    ctx: CtxDep,
    file: Annotated[UploadFile, File()],
    client_id: Annotated[str | None, Form(alias="clientId", max_length=64)] = None,
    caption: Annotated[str, Form(max_length=20000)] = "",
) -> dict[str, Any]:
    """Share an image or document (the server checks its real type)."""
    limit = widget_settings().max_upload_bytes
    _check_length(request, limit)
    visitor_id = visitor_of(request, ctx)
    await check_visitor_rate(request, ctx, visitor_id)
    if not ctx.settings["filesEnabled"]:
        raise widget.FeatureDisabledError("File sharing is turned off for this chat.")
    data = await widget.read_limited(file, limit)
    result = await widget.receive_file(
        session,
        ctx.assistant,
        ctx.settings,
        visitor_id=visitor_id,
        data=data,
        filename=file.filename or "",
        caption=caption,
        client_id=client_id,
    )
    await commit(session)
    gateway.wake_worker(request.app)
    return result


@public.post("/voice", status_code=201)
async def visitor_voice(
    request: Request,
    session: SessionDep,
    ctx: CtxDep,
    file: Annotated[UploadFile, File()],
    client_id: Annotated[str | None, Form(alias="clientId", max_length=64)] = None,
) -> dict[str, Any]:
    """Send a recorded voice message; it is transcribed and answered."""
    limit = widget_settings().max_voice_bytes
    _check_length(request, limit)
    visitor_id = visitor_of(request, ctx)
    await check_visitor_rate(request, ctx, visitor_id)
    data = await widget.read_limited(file, limit)
    result = await widget.receive_voice(
        session, ctx.assistant, ctx.settings, visitor_id=visitor_id, data=data, client_id=client_id
    )
    await commit(session)
    gateway.wake_worker(request.app)
    return result


async def _file_response(stored: StoredFile) -> Response:
    data = await files.read(stored)
    inline = stored.mime_type.startswith(("image/", "audio/")) and "svg" not in stored.mime_type
    disposition = "inline" if inline else "attachment"
    return Response(
        data,
        media_type=stored.mime_type,
        headers={
            "Content-Disposition": f'{disposition}; filename="{stored.filename or stored.id}"',
            "X-Content-Type-Options": "nosniff",
            "Cache-Control": "private, max-age=3600",
            "Content-Security-Policy": "default-src 'none'; sandbox",
        },
    )


@public.get("/files/{file_id}")
async def visitor_file(
    file_id: str, request: Request, session: SessionDep, ctx: CtxDep
) -> Response:
    """A file shared in the visitor's own conversation."""
    visitor_id = visitor_of(request, ctx)
    stored = await widget.visitor_file(
        session, ctx.assistant, visitor_id=visitor_id, file_id=file_id
    )
    return await _file_response(stored)


@public.get("/avatar")
async def visitor_avatar(session: SessionDep, ctx: CtxDep) -> Response:
    """The avatar in the widget's header."""
    return await _file_response(await widget.avatar_file(session, ctx.assistant, ctx.settings))


public.add_api_route("/events", gateway.sse_events, methods=["GET"], include_in_schema=False)
public.add_api_websocket_route("/ws", gateway.websocket_gateway)
router.include_router(public)
