"""The Graph API adapter: the only module that speaks Meta's HTTP API.

It takes and returns our own data objects (never ORM rows or sessions). Errors come back as
:class:`GraphError` carrying Meta's numeric ``code`` (the thing to build logic on, per Meta's
error reference), the HTTP status, and whether the failure was the network's.

It speaks HTTP through the process's pooled aiohttp session (``kit.http.shared_session``):
this is the synchronous send's hot path, and aiohttp costs about a fifth of httpx's CPU per call
(ADR 7).
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import aiohttp

from repdesk.channels.base import OutboundMessage
from repdesk.channels.whatsapp.config import WhatsAppSettings, get_whatsapp_settings
from repdesk.kit import urlguard
from repdesk.kit.http import guarded_session, shared_session

NETWORK_ERRORS = (aiohttp.ClientError, asyncio.TimeoutError)

TEXT_LIMIT = 4096


def _origin(url: str) -> tuple[str, str, int | None]:
    parts = urlsplit(url)
    try:
        port = parts.port
    except ValueError:
        port = -1
    return parts.scheme.lower(), (parts.hostname or "").lower(), port


@dataclass
class GraphError(Exception):
    message: str
    code: int | None = None
    http_status: int | None = None
    details: str = ""
    network: bool = False
    subcode: int | None = None
    # Meta's own words for the person (template creation answers carry them).
    user_title: str = ""
    user_message: str = ""

    def __str__(self) -> str:
        return f"Graph API error {self.code}: {self.message}"

    @property
    def retryable(self) -> bool:
        """Network errors, 5xx and throughput throttling (130429) can succeed later."""
        if self.network or self.code == 130429:
            return True
        return self.http_status is not None and self.http_status >= 500


@dataclass
class PhoneNumberInfo:
    id: str
    display_phone_number: str = ""
    verified_name: str = ""
    quality_rating: str = ""
    messaging_limit: str = ""
    name_status: str = ""


@dataclass
class TemplateInfo:
    id: str
    name: str
    language: str
    status: str
    category: str = ""
    components: list[dict[str, Any]] = field(default_factory=list)
    rejected_reason: str = ""
    quality: str = ""


@dataclass
class CreatedTemplate:
    id: str
    status: str
    category: str = ""


@dataclass
class MediaInfo:
    id: str
    url: str
    mime_type: str = "application/octet-stream"
    sha256: str = ""
    file_size: int = 0


def _error_from(status: int, raw: bytes) -> GraphError:
    try:
        body = json.loads(raw)
    except ValueError:
        body = {}
    err = body.get("error") if isinstance(body, dict) else None
    if not isinstance(err, dict):
        return GraphError(f"HTTP {status} from the Graph API", http_status=status)
    details = ""
    data = err.get("error_data")
    if isinstance(data, dict):
        details = str(data.get("details") or "")
    return GraphError(
        str(err.get("message") or "Graph API error")[:300],
        code=_int(err.get("code")),
        http_status=status,
        details=details[:500],
        subcode=_int(err.get("error_subcode")),
        user_title=str(err.get("error_user_title") or "")[:200],
        user_message=str(err.get("error_user_msg") or "")[:500],
    )


def _int(value: Any) -> int | None:
    return int(value) if isinstance(value, int | str) and str(value).isdigit() else None


def split_text(text: str, limit: int = TEXT_LIMIT) -> list[str]:
    """Split a long body at paragraph, line or word boundaries into parts within Meta's limit."""
    parts: list[str] = []
    rest = text
    while len(rest) > limit:
        cut = max(
            rest.rfind("\n\n", 0, limit), rest.rfind("\n", 0, limit), rest.rfind(" ", 0, limit)
        )
        if cut <= limit // 2:
            cut = limit
        parts.append(rest[:cut].rstrip())
        rest = rest[cut:].lstrip()
    if rest or not parts:
        parts.append(rest)
    return parts


def has_link(text: str) -> bool:
    return "http://" in text or "https://" in text


def message_body(to: str, outbound: OutboundMessage, *, text: str | None = None) -> dict[str, Any]:
    """Meta's send body for one outbound message (``text`` overrides the formatted body)."""
    body: dict[str, Any] = {
        "messaging_product": "whatsapp",
        "recipient_type": "individual",
        "to": to if to.startswith("+") else f"+{to}",
        "type": outbound.type,
    }
    if outbound.reply_to:
        body["context"] = {"message_id": outbound.reply_to}
    if outbound.type == "text":
        value = text if text is not None else (outbound.text or "")
        body["text"] = {"body": value, "preview_url": has_link(value)}
    elif outbound.type == "template" and outbound.template is not None:
        tpl: dict[str, Any] = {
            "name": outbound.template.name,
            "language": {"code": outbound.template.language},
        }
        if outbound.template.components:
            tpl["components"] = outbound.template.components
        body["template"] = tpl
    elif outbound.type == "interactive" and outbound.interactive is not None:
        interactive = dict(outbound.interactive)
        if text is not None:
            interactive["body"] = {**(interactive.get("body") or {}), "text": text}
        body["interactive"] = interactive
    elif outbound.media is not None:
        media: dict[str, Any] = {}
        if outbound.media.id:
            media["id"] = outbound.media.id
        elif outbound.media.link:
            media["link"] = outbound.media.link
        if outbound.media.caption and outbound.type in ("image", "document", "video"):
            media["caption"] = text if text is not None else outbound.media.caption
        if outbound.media.filename and outbound.type == "document":
            media["filename"] = outbound.media.filename
        body[outbound.type] = media
    return body


class GraphClient:
    def __init__(self, access_token: str, settings: WhatsAppSettings | None = None) -> None:
        self.settings = settings or get_whatsapp_settings()
        self._token = access_token

    def _auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self._token}"}

    async def _fetch(
        self,
        method: str,
        url: str,
        *,
        what: str = "reach the Graph API",
        session: aiohttp.ClientSession | None = None,
        headers: dict[str, str] | None = None,
        **kwargs: Any,
    ) -> tuple[int, bytes]:
        """(status, body) of one call; network failures and timeouts become GraphError."""
        try:
            async with (session or shared_session()).request(
                method,
                url,
                headers={**self._auth(), **(headers or {})},
                timeout=aiohttp.ClientTimeout(total=self.settings.graph_timeout_seconds),
                **kwargs,
            ) as resp:
                return resp.status, await resp.read()
        except aiohttp.ClientConnectorError as exc:
            if isinstance(exc.os_error, urlguard.BlockedAddressError):  # not worth a retry
                raise GraphError(f"Could not {what}: {exc.os_error}", http_status=400) from exc
            raise GraphError(f"Could not {what}: {type(exc).__name__}", network=True) from exc
        except NETWORK_ERRORS as exc:
            raise GraphError(f"Could not {what}: {type(exc).__name__}", network=True) from exc

    async def _request(self, method: str, path: str, **kwargs: Any) -> dict[str, Any]:
        status, raw = await self._fetch(method, self.settings.graph_base + path, **kwargs)
        if status >= 400:
            raise _error_from(status, raw)
        try:
            data = json.loads(raw)
        except ValueError as exc:
            raise GraphError(
                "The Graph API answered with something that is not JSON", http_status=status
            ) from exc
        return data if isinstance(data, dict) else {}

    # -- numbers ------------------------------------------------------------------------------

    async def get_phone_number(self, phone_number_id: str) -> PhoneNumberInfo:
        fields = (
            "id,display_phone_number,verified_name,quality_rating,name_status,"
            "whatsapp_business_manager_messaging_limit"
        )
        data = await self._request("GET", f"/{phone_number_id}", params={"fields": fields})
        limit = data.get("whatsapp_business_manager_messaging_limit") or data.get(
            "messaging_limit_tier"
        )
        if isinstance(limit, dict):
            limit = limit.get("current_limit") or limit.get("tier")
        return PhoneNumberInfo(
            id=str(data.get("id") or phone_number_id),
            display_phone_number=str(data.get("display_phone_number") or ""),
            verified_name=str(data.get("verified_name") or ""),
            quality_rating=str(data.get("quality_rating") or ""),
            messaging_limit=str(limit or ""),
            name_status=str(data.get("name_status") or ""),
        )

    # -- messages -----------------------------------------------------------------------------

    async def send(self, phone_number_id: str, body: dict[str, Any]) -> str:
        """POST a message; returns its wamid (accepted by Meta, not yet delivered)."""
        data = await self._request("POST", f"/{phone_number_id}/messages", json=body)
        messages = data.get("messages") or []
        if not messages or not isinstance(messages[0], dict) or not messages[0].get("id"):
            raise GraphError(
                "The Graph API accepted the message but returned no id", http_status=200
            )
        return str(messages[0]["id"])

    # -- templates ----------------------------------------------------------------------------

    async def list_templates(
        self, business_account_id: str, *, max_pages: int = 50
    ) -> list[TemplateInfo]:
        out: list[TemplateInfo] = []
        params: dict[str, Any] = {
            "limit": 100,
            "fields": "id,name,language,status,category,components,rejected_reason,quality_score",
        }
        after: str | None = None
        for _ in range(max_pages):
            if after:
                params["after"] = after
            data = await self._request(
                "GET", f"/{business_account_id}/message_templates", params=params
            )
            for row in data.get("data") or []:
                if not isinstance(row, dict) or not row.get("name"):
                    continue
                out.append(
                    TemplateInfo(
                        id=str(row.get("id") or ""),
                        name=str(row["name"]),
                        language=str(row.get("language") or ""),
                        status=str(row.get("status") or "").upper(),
                        category=str(row.get("category") or ""),
                        components=[c for c in row.get("components") or [] if isinstance(c, dict)],
                        rejected_reason=str(row.get("rejected_reason") or ""),
                        quality=str((row.get("quality_score") or {}).get("score") or "")
                        if isinstance(row.get("quality_score"), dict)
                        else "",
                    )
                )
            paging = data.get("paging") or {}
            after = (paging.get("cursors") or {}).get("after") if paging.get("next") else None
            if not after:
                break
        return out

    async def create_template(
        self, business_account_id: str, template: dict[str, Any]
    ) -> CreatedTemplate:
        """Submit a template for review (``template`` in Meta's creation shape)."""
        data = await self._request(
            "POST", f"/{business_account_id}/message_templates", json=template
        )
        if not data.get("id"):
            raise GraphError("The Graph API returned no template id", http_status=200)
        return CreatedTemplate(
            id=str(data["id"]),
            status=str(data.get("status") or "PENDING").upper(),
            category=str(data.get("category") or ""),
        )

    async def edit_template(
        self, template_id: str, *, category: str, components: list[dict[str, Any]]
    ) -> None:
        """Change a template's category and components; Meta reviews it again."""
        await self._request(
            "POST", f"/{template_id}", json={"category": category, "components": components}
        )

    async def delete_template(
        self, business_account_id: str, name: str, template_id: str | None = None
    ) -> None:
        """Delete a template: one language when its id (``hsm_id``) is given, else every
        language of ``name``."""
        params = {"name": name, **({"hsm_id": template_id} if template_id else {})}
        await self._request("DELETE", f"/{business_account_id}/message_templates", params=params)

    async def app_id(self) -> str:
        """The id of the Meta app the access token belongs to."""
        data = await self._request("GET", "/app", params={"fields": "id"})
        if not data.get("id"):
            raise GraphError("The Graph API returned no app id", http_status=200)
        return str(data["id"])

    async def upload_for_template(
        self, app_id: str, *, data: bytes, mime_type: str, filename: str
    ) -> str:
        """Meta's Resumable Upload API in one piece: open an upload session on the app, send
        the file at offset 0, and return the file handle (``h``) a template's
        ``header_handle`` example takes."""
        opened = await self._request(
            "POST",
            f"/{app_id}/uploads",
            params={"file_name": filename, "file_length": len(data), "file_type": mime_type},
        )
        session_id = str(opened.get("id") or "")
        if not session_id.startswith("upload:"):
            raise GraphError("The Graph API opened no upload session", http_status=200)
        path, _, query = session_id.partition("?")
        status, raw = await self._fetch(
            "POST",
            f"{self.settings.graph_base}/{path}" + (f"?{query}" if query else ""),
            what="upload the file to Meta",
            headers={"Authorization": f"OAuth {self._token}", "file_offset": "0"},
            data=data,
        )
        if status >= 400:
            raise _error_from(status, raw)
        try:
            handle = json.loads(raw).get("h")
        except (ValueError, AttributeError):
            handle = None
        if not handle:
            raise GraphError("The Graph API returned no file handle", http_status=status)
        return str(handle)

    # -- media --------------------------------------------------------------------------------

    async def get_media(self, media_id: str) -> MediaInfo:
        data = await self._request("GET", f"/{media_id}")
        if not data.get("url"):
            raise GraphError("The Graph API returned no URL for the media", http_status=200)
        return MediaInfo(
            id=str(data.get("id") or media_id),
            url=str(data["url"]),
            mime_type=str(data.get("mime_type") or "application/octet-stream"),
            sha256=str(data.get("sha256") or ""),
            file_size=int(data.get("file_size") or 0),
        )

    async def download(self, url: str) -> bytes:
        """Fetch a media URL; Meta requires the same bearer token here. A URL on the Graph
        API's own origin is the operator's; any other (Meta's CDN) goes through the URL guard."""
        if _origin(url) == _origin(self.settings.graph_base):
            status, raw = await self._fetch("GET", url, what="download the media")
        else:
            reach = urlguard.Reach.PUBLIC
            try:
                urlguard.check_literal(url, field="media url", reach=reach)
            except urlguard.UnsafeUrlError as exc:
                raise GraphError(f"Could not download the media: {exc}", http_status=400) from exc
            status, raw = await self._fetch(
                "GET",
                url,
                what="download the media",
                session=guarded_session(reach),
                allow_redirects=False,
            )
        if status >= 400:
            raise _error_from(status, raw)
        return raw

    async def upload_media(
        self, phone_number_id: str, *, data: bytes, mime_type: str, filename: str
    ) -> str:
        form = aiohttp.FormData()
        form.add_field("messaging_product", "whatsapp")
        form.add_field("type", mime_type)
        form.add_field("file", data, filename=filename or "file", content_type=mime_type)
        result = await self._request("POST", f"/{phone_number_id}/media", data=form)
        if not result.get("id"):
            raise GraphError("The Graph API returned no media id", http_status=200)
        return str(result["id"])

    # -- embedded signup ----------------------------------------------------------------------

    async def subscribe_app(self, business_account_id: str) -> None:
        await self._request("POST", f"/{business_account_id}/subscribed_apps")

    async def register_number(self, phone_number_id: str, pin: str) -> None:
        await self._request(
            "POST",
            f"/{phone_number_id}/register",
            json={"messaging_product": "whatsapp", "pin": pin},
        )


async def exchange_code(code: str, settings: WhatsAppSettings | None = None) -> str:
    """Embedded Signup: trade the code from Meta's popup for a business integration token."""
    s = settings or get_whatsapp_settings()
    params = {"client_id": s.meta_app_id, "client_secret": s.meta_app_secret, "code": code}
    try:
        async with shared_session().get(
            s.graph_base + "/oauth/access_token",
            timeout=aiohttp.ClientTimeout(total=s.graph_timeout_seconds),
            params=params,
        ) as resp:
            status, raw = resp.status, await resp.read()
    except NETWORK_ERRORS as exc:
        raise GraphError(
            f"Could not reach the Graph API: {type(exc).__name__}", network=True
        ) from exc
    if status >= 400:
        raise _error_from(status, raw)
    try:
        data = json.loads(raw)
    except ValueError:
        data = {}
    token = data.get("access_token") if isinstance(data, dict) else None
    if not token:
        raise GraphError("Meta returned no access token for the signup code", http_status=status)
    return str(token)
