"""Widget settings, public ids and allowed origins.

Settings live in ``assistant.settings["widget"]`` (written through the assistants service);
the public id is also the assistant's ``channel_address``.
"""

from __future__ import annotations

import re
import secrets
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from repdesk.assistants import service as assistants
from repdesk.assistants.models import Assistant
from repdesk.channels.widget.config import widget_settings
from repdesk.channels.widget.errors import (
    FileTooLargeError,
    OriginNotAllowedError,
    UnsupportedFileTypeError,
    WidgetNotFoundError,
)
from repdesk.channels.widget.sniff import EXTENSIONS, sniff_file
from repdesk.files import service as files
from repdesk.kit.errors import ValidationError
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
AVATAR_TYPES = ("image/png", "image/jpeg", "image/gif", "image/webp")
MAX_AVATAR_BYTES = 1024 * 1024


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
