"""Widget settings, public ids, allowed origins, visitor tokens and visitor messages.

Settings live in ``assistant.settings["widget"]`` (written through the assistants service);
the public id is also the assistant's ``channel_address``. Visitor tokens are stateless:
``{visitorId}.{hmac}`` signed with a key derived from the master key, so any replica can check
them and nothing is stored until the visitor writes.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from repdesk import vault
from repdesk.assistants import service as assistants
from repdesk.assistants.models import Assistant
from repdesk.channels.widget.config import widget_settings
from repdesk.channels.widget.sniff import EXTENSIONS, kind_of, sniff_audio, sniff_file
from repdesk.contacts.models import Contact
from repdesk.conversations import service as conversations
from repdesk.conversations.models import Conversation, Message
from repdesk.db.engine import queue_realtime
from repdesk.files import service as files
from repdesk.files.models import StoredFile
from repdesk.jobs.service import enqueue
from repdesk.kit.errors import AppError, Forbidden, NotFound, ValidationError
from repdesk.kit.ids import new_id
from repdesk.kit.time import isoformat
from repdesk.transcription import service as transcription

THEMES = ("light", "dark", "auto")
POSITIONS = ("bottom-right", "bottom-left")
FONTS = (
    "system",
    "Arial",
    "Helvetica",
    "Verdana",
    "Trebuchet MS",
    "Georgia",
    "Times New Roman",
    "Courier New",
)
MAX_DOMAINS = 50
COLOR_RE = re.compile(r"^#[0-9a-fA-F]{6}$")
HOST_RE = re.compile(
    r"^(\*\.)?([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$"
)
CLIENT_ID_RE = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
AVATAR_TYPES = ("image/png", "image/jpeg", "image/gif", "image/webp")
MAX_AVATAR_BYTES = 1024 * 1024


class WidgetNotFoundError(AppError):
    status = 404
    code = "WIDGET_NOT_FOUND"


class OriginNotAllowedError(Forbidden):
    code = "WIDGET_ORIGIN_NOT_ALLOWED"


class InvalidVisitorTokenError(AppError):
    status = 401
    code = "INVALID_VISITOR_TOKEN"


class FeatureDisabledError(Forbidden):
    code = "WIDGET_FEATURE_DISABLED"


class UnsupportedFileTypeError(AppError):
    status = 415
    code = "UNSUPPORTED_FILE_TYPE"


class FileTooLargeError(AppError):
    status = 413
    code = "FILE_TOO_LARGE"


# -- settings --------------------------------------------------------------------------------


def defaults(assistant: Assistant) -> dict[str, Any]:
    return {
        "color": "#2563eb",
        "theme": "auto",
        "position": "bottom-right",
        "welcomeMessage": "Hi! How can we help you today?",
        "businessName": assistant.name,
        "font": "system",
        "voiceEnabled": True,
        "filesEnabled": True,
        "allowedDomains": [],
        "avatarFileId": None,
        "publicId": None,
    }


def read_settings(assistant: Assistant) -> dict[str, Any]:
    merged = defaults(assistant)
    merged.update((assistant.settings or {}).get("widget") or {})
    return merged


def require_widget(assistant: Assistant) -> None:
    if assistant.platform != "widget":
        raise ValidationError("This assistant is not a web widget assistant.", code="NOT_A_WIDGET")


async def ensure_public_id(session: AsyncSession, assistant: Assistant) -> dict[str, Any]:
    """The widget settings, giving the assistant its public id the first time."""
    require_widget(assistant)
    current = read_settings(assistant)
    if current["publicId"]:
        return current
    current["publicId"] = "wgt_" + secrets.token_hex(10)
    assistant.channel_address = current["publicId"]
    await assistants.update_settings(session, assistant, "widget", current)
    return current


def normalize_domain(value: str) -> str:
    """``https://Shop.Example.com/`` -> ``shop.example.com``; keeps ``*.`` and ``:port``."""
    raw = value.strip().lower()
    if "://" in raw:
        raw = urlsplit(raw).netloc
    raw = raw.split("/", 1)[0].strip()
    host, _, port = raw.partition(":")
    if not host or not HOST_RE.match(host):
        raise ValidationError(
            f"allowedDomains: {value!r} is not a host name (like shop.example.com)."
        )
    if port:
        if not port.isdigit() or not 0 < int(port) < 65536:
            raise ValidationError(f"allowedDomains: {value!r} has an invalid port.")
        return f"{host}:{int(port)}"
    return host


def origin_allowed(origin: str | None, allowed: list[str]) -> bool:
    """Whether a page at ``origin`` (``https://shop.example.com:8443``) may use the widget.

    An entry without a port matches the host on any port; ``*.example.com`` matches its
    subdomains. Nothing is allowed unless listed (localhost included)."""
    if not origin or origin == "null":
        return False
    parts = urlsplit(origin)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return False
    host = parts.hostname.lower()
    try:
        port = parts.port
    except ValueError:
        return False
    for entry in allowed:
        e_host, _, e_port = entry.partition(":")
        if e_port and (port is None or int(e_port) != port):
            continue
        if e_host.startswith("*."):
            if host.endswith(e_host[1:]) and host != e_host[2:]:
                return True
        elif host == e_host:
            return True
    return False


def check_origin(settings: dict[str, Any], origin: str | None) -> None:
    if not origin_allowed(origin, list(settings.get("allowedDomains") or [])):
        shown = origin or "(no Origin header)"
        raise OriginNotAllowedError(
            f"The web widget is not allowed on {shown}. Add this site's domain to the widget's "
            "allowed domains in the dashboard (Settings of the web widget assistant)."
        )


async def update_widget(
    session: AsyncSession, assistant: Assistant, changes: dict[str, Any]
) -> dict[str, Any]:
    """Validate and apply a partial update. Nothing is written if any field is invalid."""
    current = await ensure_public_id(session, assistant)
    new = dict(current)
    for key, value in changes.items():
        if key == "color":
            if not isinstance(value, str) or not COLOR_RE.match(value):
                raise ValidationError("color: must be a hex colour like #2563eb.")
            new[key] = value.lower()
        elif key == "theme":
            if value not in THEMES:
                raise ValidationError("theme: must be light, dark or auto.")
            new[key] = value
        elif key == "position":
            if value not in POSITIONS:
                raise ValidationError("position: must be bottom-right or bottom-left.")
            new[key] = value
        elif key == "font":
            if value not in FONTS:
                raise ValidationError("font: must be one of " + ", ".join(FONTS) + ".")
            new[key] = value
        elif key == "welcomeMessage":
            text = str(value or "").strip()
            if len(text) > 500:
                raise ValidationError("welcomeMessage: at most 500 characters.")
            new[key] = text
        elif key == "businessName":
            text = " ".join(str(value or "").split())
            if not text or len(text) > 80:
                raise ValidationError("businessName: 1 to 80 characters.")
            new[key] = text
        elif key in ("voiceEnabled", "filesEnabled"):
            if not isinstance(value, bool):
                raise ValidationError(f"{key}: must be true or false.")
            new[key] = value
        elif key == "allowedDomains":
            if not isinstance(value, list) or len(value) > MAX_DOMAINS:
                raise ValidationError(
                    f"allowedDomains: a list of at most {MAX_DOMAINS} host names."
                )
            domains: list[str] = []
            for item in value:
                if not isinstance(item, str):
                    raise ValidationError("allowedDomains: each entry must be a host name.")
                d = normalize_domain(item)
                if d not in domains:
                    domains.append(d)
            new[key] = domains
        else:
            raise ValidationError(f"{key}: unknown widget setting.")
    await assistants.update_settings(session, assistant, "widget", new)
    return new


async def set_avatar(
    session: AsyncSession, assistant: Assistant, *, data: bytes, filename: str
) -> dict[str, Any]:
    current = await ensure_public_id(session, assistant)
    if not data:
        raise ValidationError("The avatar file is empty.")
    if len(data) > MAX_AVATAR_BYTES:
        raise FileTooLargeError("The avatar must be at most 1 MB.")
    mime = sniff_file(data)
    if mime not in AVATAR_TYPES:
        raise UnsupportedFileTypeError("The avatar must be a PNG, JPEG, GIF or WebP image.")
    stored = await files.save(
        session,
        workspace_id=assistant.workspace_id,
        data=data,
        mime_type=mime,
        filename=filename or f"avatar.{EXTENSIONS[mime]}",
        assistant_id=assistant.id,
        purpose="avatar",
    )
    current["avatarFileId"] = stored.id
    await assistants.update_settings(session, assistant, "widget", current)
    return current


def embed_code(base_url: str, public_id: str) -> str:
    return f'<script src="{base_url}/widget.js" data-repdesk-widget="{public_id}" async></script>'


def public_config(assistant: Assistant, settings: dict[str, Any]) -> dict[str, Any]:
    """What the embed script needs to draw the widget (no private data)."""
    ws = widget_settings()
    return {
        "publicId": settings["publicId"],
        "businessName": settings["businessName"],
        "welcomeMessage": settings["welcomeMessage"],
        "color": settings["color"],
        "theme": settings["theme"],
        "position": settings["position"],
        "font": settings["font"],
        "hasAvatar": bool(settings.get("avatarFileId")),
        "filesEnabled": bool(settings["filesEnabled"]),
        "voiceEnabled": bool(settings["voiceEnabled"]) and transcription.is_available(),
        "maxMessageChars": ws.max_message_chars,
        "maxUploadBytes": ws.max_upload_bytes,
        "maxVoiceBytes": ws.max_voice_bytes,
        "acceptedFileTypes": [
            "image/png",
            "image/jpeg",
            "image/gif",
            "image/webp",
            "application/pdf",
            ".docx",
            "text/plain",
        ],
    }


async def get_by_public_id(
    session: AsyncSession, public_id: str
) -> tuple[Assistant, dict[str, Any]]:
    if not public_id or len(public_id) > 64:
        raise WidgetNotFoundError("Unknown widget id: check the data-repdesk-widget attribute.")
    assistant = await session.scalar(
        select(Assistant).where(
            Assistant.channel_address == public_id, Assistant.platform == "widget"
        )
    )
    if assistant is None:
        raise WidgetNotFoundError("Unknown widget id: check the data-repdesk-widget attribute.")
    return assistant, read_settings(assistant)


# -- visitors ----------------------------------------------------------------------------------


def _token_key() -> bytes:
    box = vault.box()
    return hashlib.sha256(b"repdesk-widget-visitor:" + box.keys[box.primary]).digest()


def _sign(assistant_id: str, visitor_id: str) -> str:
    mac = hmac.new(_token_key(), f"{assistant_id}:{visitor_id}".encode(), hashlib.sha256)
    return mac.hexdigest()[:40]


def issue_visitor_token(assistant_id: str) -> tuple[str, str]:
    visitor_id = "v" + secrets.token_hex(12)
    return visitor_id, f"{visitor_id}.{_sign(assistant_id, visitor_id)}"


def verify_visitor_token(assistant_id: str, token: str | None) -> str:
    visitor_id, _, sig = (token or "").partition(".")
    if (
        not visitor_id
        or not sig
        or len(visitor_id) > 40
        or not hmac.compare_digest(sig, _sign(assistant_id, visitor_id))
    ):
        raise InvalidVisitorTokenError("The visitor token is missing or invalid: start a new chat.")
    return visitor_id


def visitor_topic(visitor_id: str) -> str:
    return f"widget:{visitor_id}"


def public_message(message: Message) -> dict[str, Any]:
    """A message as the visitor sees it (no internal ids beyond what the widget needs)."""
    content = message.content or {}
    attachment = None
    file_id = content.get("fileId") or (content.get("media") or {}).get("id")
    if file_id and message.type in ("image", "document", "audio", "video"):
        media = content.get("media") or {}
        attachment = {
            "fileId": file_id,
            "mimeType": content.get("mimeType") or media.get("mime_type") or "",
            "filename": content.get("filename") or media.get("filename") or "",
            "size": content.get("size"),
        }
    client_id = None
    if message.direction == "in" and message.external_id:
        client_id = message.external_id.partition(":")[2] or None
    text = message.text
    if message.type == "audio" and message.direction == "in":
        text = str(content.get("transcript") or "")
    return {
        "id": message.id,
        "clientId": client_id,
        "direction": message.direction,
        "sender": message.sender,
        "type": message.type,
        "text": text,
        "attachment": attachment,
        "transcript": content.get("transcript"),
        "status": message.status,
        "createdAt": isoformat(message.created_at),
    }


async def find_conversation(
    session: AsyncSession, assistant: Assistant, visitor_id: str
) -> Conversation | None:
    return await session.scalar(
        select(Conversation)
        .join(Contact, Contact.id == Conversation.contact_id)
        .where(Conversation.assistant_id == assistant.id, Contact.visitor_id == visitor_id)
    )


async def history(
    session: AsyncSession, assistant: Assistant, visitor_id: str, *, limit: int | None = None
) -> list[dict[str, Any]]:
    conv = await find_conversation(session, assistant, visitor_id)
    if conv is None:
        return []
    rows = await session.scalars(
        select(Message)
        .where(Message.conversation_id == conv.id, Message.status != "failed")
        .order_by(Message.id.desc())
        .limit(limit or widget_settings().history_limit)
    )
    return [public_message(m) for m in reversed(list(rows))]


def _check_client_id(client_id: str | None) -> str:
    if client_id is None or client_id == "":
        return new_id()
    if not CLIENT_ID_RE.match(client_id):
        raise ValidationError("clientId: 1 to 64 letters, digits, '-' or '_'.")
    return client_id


def _push(session: AsyncSession, visitor_id: str, payload: dict[str, Any]) -> None:
    queue_realtime(session, visitor_topic(visitor_id), payload)


async def receive_text(
    session: AsyncSession,
    assistant: Assistant,
    *,
    visitor_id: str,
    text: str,
    client_id: str | None = None,
) -> dict[str, Any]:
    """Store a visitor's text message (idempotent on its client id)."""
    client_id = _check_client_id(client_id)
    text = (text or "").strip()
    if not text:
        raise ValidationError("text: the message is empty.")
    limit = widget_settings().max_message_chars
    if len(text) > limit:
        raise ValidationError(f"text: at most {limit} characters.", code="MESSAGE_TOO_LONG")
    inbound = await conversations.record_inbound(
        session,
        assistant=assistant,
        channel="widget",
        type="text",
        text=text,
        external_id=f"{visitor_id}:{client_id}",
        visitor_id=visitor_id,
    )
    return _after_inbound(session, inbound, visitor_id)


def _after_inbound(
    session: AsyncSession, inbound: conversations.Inbound, visitor_id: str, *, typing: bool = True
) -> dict[str, Any]:
    data = public_message(inbound.message)
    if inbound.created:
        _push(session, visitor_id, {"type": "message", "message": data})
        if typing and inbound.conversation.automation_enabled:
            _push(session, visitor_id, {"type": "typing", "on": True})
    return data


async def read_limited(stream: Any, limit: int) -> bytes:
    """Read an upload up to ``limit`` bytes; larger uploads are refused without reading on."""
    chunks: list[bytes] = []
    size = 0
    while True:
        chunk = await stream.read(64 * 1024)
        if not chunk:
            break
        size += len(chunk)
        if size > limit:
            raise FileTooLargeError(f"The file is larger than {limit // (1024 * 1024)} MB.")
        chunks.append(chunk)
    return b"".join(chunks)


async def receive_file(
    session: AsyncSession,
    assistant: Assistant,
    settings: dict[str, Any],
    *,
    visitor_id: str,
    data: bytes,
    filename: str,
    caption: str = "",
    client_id: str | None = None,
) -> dict[str, Any]:
    if not settings["filesEnabled"]:
        raise FeatureDisabledError("File sharing is turned off for this chat.")
    client_id = _check_client_id(client_id)
    if not data:
        raise ValidationError("The file is empty.")
    if len(data) > widget_settings().max_upload_bytes:
        raise FileTooLargeError("The file is too large.")
    mime = sniff_file(data)
    if mime is None:
        raise UnsupportedFileTypeError(
            "This kind of file cannot be shared: send an image (PNG, JPEG, GIF, WebP), a PDF, "
            "a Word document (DOCX) or a text file."
        )
    caption = (caption or "").strip()[: widget_settings().max_message_chars]
    name = _safe_filename(filename, mime)
    stored = await files.save(
        session,
        workspace_id=assistant.workspace_id,
        data=data,
        mime_type=mime,
        filename=name,
        assistant_id=assistant.id,
        purpose="widget_upload",
    )
    kind = kind_of(mime)
    inbound = await conversations.record_inbound(
        session,
        assistant=assistant,
        channel="widget",
        type=kind,
        text=caption or name,
        content={
            "fileId": stored.id,
            "mimeType": mime,
            "filename": name,
            "size": len(data),
            "caption": caption,
        },
        external_id=f"{visitor_id}:{client_id}",
        visitor_id=visitor_id,
    )
    return _after_inbound(session, inbound, visitor_id)


async def receive_voice(
    session: AsyncSession,
    assistant: Assistant,
    settings: dict[str, Any],
    *,
    visitor_id: str,
    data: bytes,
    client_id: str | None = None,
) -> dict[str, Any]:
    if not settings["voiceEnabled"] or not transcription.is_available():
        raise FeatureDisabledError("Voice messages are not available for this chat.")
    client_id = _check_client_id(client_id)
    if not data:
        raise ValidationError("The recording is empty.")
    if len(data) > widget_settings().max_voice_bytes:
        raise FileTooLargeError("The recording is too long.")
    mime = sniff_audio(data)
    if mime is None:
        raise UnsupportedFileTypeError("The recording is not in a supported audio format.")
    name = f"voice-{client_id}.{EXTENSIONS[mime]}"
    stored = await files.save(
        session,
        workspace_id=assistant.workspace_id,
        data=data,
        mime_type=mime,
        filename=name,
        assistant_id=assistant.id,
        purpose="voice",
    )
    inbound = await conversations.record_inbound(
        session,
        assistant=assistant,
        channel="widget",
        type="audio",
        text="[voice message]",
        content={"fileId": stored.id, "mimeType": mime, "filename": name, "size": len(data)},
        external_id=f"{visitor_id}:{client_id}",
        visitor_id=visitor_id,
        trigger_ai=False,
    )
    if inbound.created:
        await enqueue(
            session,
            "transcription.transcribe",
            {"messageId": inbound.message.id, "fileId": stored.id},
            dedupe_key=f"transcribe:{inbound.message.id}",
        )
    return _after_inbound(session, inbound, visitor_id, typing=True)


def _safe_filename(filename: str, mime: str) -> str:
    base = re.sub(r"[^A-Za-z0-9._ -]", "_", (filename or "").rsplit("/", 1)[-1].rsplit("\\", 1)[-1])
    base = base.strip(" .")[:100]
    ext = EXTENSIONS[mime]
    if not base:
        base = f"file.{ext}"
    elif not base.lower().endswith("." + ext) and not (
        ext == "jpg" and base.lower().endswith(".jpeg")
    ):
        base = f"{base}.{ext}"
    return base


async def visitor_file(
    session: AsyncSession, assistant: Assistant, *, visitor_id: str, file_id: str
) -> StoredFile:
    """A file shared in this visitor's conversation (by them or by the business)."""
    conv = await find_conversation(session, assistant, visitor_id)
    if conv is not None:
        rows = await session.scalars(
            select(Message.content).where(
                Message.conversation_id == conv.id,
                Message.type.in_(("image", "document", "audio", "video")),
            )
        )
        for content in rows:
            c = content or {}
            if file_id in (c.get("fileId"), (c.get("media") or {}).get("id")):
                stored = await files.get(session, file_id)
                if stored is not None and stored.workspace_id == assistant.workspace_id:
                    return stored
    raise NotFound("File not found.")


async def avatar_file(
    session: AsyncSession, assistant: Assistant, settings: dict[str, Any]
) -> StoredFile:
    file_id = settings.get("avatarFileId")
    stored = await files.get(session, file_id) if file_id else None
    if stored is None or stored.workspace_id != assistant.workspace_id:
        raise NotFound("This widget has no avatar.")
    return stored
