"""Template authoring: submit, edit (resubmit), delete and upload a header sample at Meta, then
record the outcome through :mod:`templates` (the table's only writer).

Every call checks the template with :mod:`template_rules` first, so Meta is only asked about
templates it can accept; what Meta still refuses comes back in plain words
(:func:`plain_words`) with a code of our own. No database lock is held while Meta answers.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from repdesk.assistants.models import Assistant
from repdesk.channels.whatsapp import service, templates
from repdesk.channels.whatsapp.client import GraphError
from repdesk.channels.whatsapp.config import get_whatsapp_settings
from repdesk.channels.whatsapp.models import TemplateStatus, WhatsAppConnection, WhatsAppTemplate
from repdesk.channels.whatsapp.template_rules import (
    TemplateInvalid,
    check_template,
)
from repdesk.db.engine import commit
from repdesk.kit.errors import AppError, Conflict, NotFound, ValidationError

# What a header sample may be: Meta's media types and sizes (images 5 MB, videos 16 MB);
# a sample document is capped at 16 MB here (Meta takes up to 100 MB: a sample needs less).
HEADER_MEDIA: dict[str, tuple[str, int]] = {
    "image/jpeg": ("IMAGE", 5 * 1024 * 1024),
    "image/png": ("IMAGE", 5 * 1024 * 1024),
    "video/mp4": ("VIDEO", 16 * 1024 * 1024),
    "application/pdf": ("DOCUMENT", 16 * 1024 * 1024),
}
HEADER_MEDIA_MAX = max(limit for _, limit in HEADER_MEDIA.values())
EDITABLE = (TemplateStatus.REJECTED,)


class MetaRefused(AppError):
    """Meta refused the template; the message says why in plain words."""

    status = 400
    code = "TEMPLATE_REFUSED"


@dataclass(frozen=True)
class Refusal:
    code: str
    status: int
    message: str


def _says(exc: GraphError, *words: str) -> bool:
    text = f"{exc.message} {exc.user_title} {exc.user_message}".lower()
    return any(w in text for w in words)


def plain_words(exc: GraphError, name: str = "") -> Refusal:
    """What Meta's error means for the owner. Meta's codes first (100 with subcode 2388024 is a
    name already used in that language; 368 a policy block; 190 a dead token; 80008/4 too many
    calls), Meta's own title and message next; never a bare error number."""
    quoted = f" '{name}'" if name else ""
    if exc.network or (exc.http_status or 0) >= 500:
        return Refusal("META_API_ERROR", 502, "Meta could not be reached. Try again in a minute.")
    if exc.code == 190:
        return Refusal(
            "WHATSAPP_TOKEN_INVALID",
            400,
            "Meta rejected this number's access token: reconnect WhatsApp, then try again.",
        )
    if exc.subcode == 2388024 or _says(exc, "already exists", "already content"):
        return Refusal(
            "TEMPLATE_NAME_TAKEN",
            409,
            f"A template named{quoted} already exists in this language in your WhatsApp "
            "account (or Meta is still deleting one of that name). Choose another name.",
        )
    if exc.subcode == 2388019 or _says(exc, "maximum number", "template limit"):
        return Refusal(
            "TEMPLATE_LIMIT",
            400,
            "Your WhatsApp account has as many templates as Meta allows (250 until the "
            "business is verified). Delete templates you no longer use, then try again.",
        )
    if exc.code in (4, 80008, 130429) or _says(exc, "too many calls", "rate limit"):
        return Refusal(
            "TEMPLATE_RATE_LIMIT",
            429,
            "Meta allows 100 new templates per hour per account. Try again later.",
        )
    if exc.code in (368, 132007) or _says(exc, "policy", "abusive"):
        detail = f" Meta says: {exc.user_message}" if exc.user_message else ""
        return Refusal(
            "TEMPLATE_POLICY",
            400,
            "Meta refused this template under WhatsApp's Business and Commerce policies. "
            "Reword it (no prohibited products, misleading or threatening content)." + detail,
        )
    said = exc.user_message or exc.details or exc.message
    title = f"{exc.user_title}: " if exc.user_title else ""
    return Refusal("TEMPLATE_REFUSED", 400, f"Meta refused the template. {title}{said}".strip())


async def _refused(
    session: AsyncSession, conn: WhatsAppConnection, exc: GraphError, name: str
) -> AppError:
    refusal = plain_words(exc, name)
    if exc.code == 190:
        await service.mark_disconnected(session, conn, "Meta rejected the access token (code 190).")
        await commit(session)
    return MetaRefused(refusal.message, code=refusal.code, status=refusal.status)


async def _connection(session: AsyncSession, assistant_id: str) -> WhatsAppConnection:
    return service.require_connected(await service.get_connection(session, assistant_id))


async def submit(session: AsyncSession, assistant: Assistant, data: Any) -> WhatsAppTemplate:
    """Check ``data`` (Meta's creation shape), submit it to Meta, store it ``PENDING``."""
    template = check_template(data)
    conn = await _connection(session, assistant.id)
    name, language = template["name"], template["language"]
    if await templates.get_template(session, assistant.id, name, language) is not None:
        raise Conflict(
            f"A template named '{name}' in {language} already exists: edit it or choose "
            "another name.",
            code="TEMPLATE_NAME_TAKEN",
            extra={"field": "name"},
        )
    client, waba = service.client_for(conn), conn.business_account_id
    await commit(session)  # hold no database lock while Meta answers
    try:
        created = await client.create_template(waba, template)
    except GraphError as exc:
        raise await _refused(session, conn, exc, name) from exc
    return await templates.record_submitted(session, assistant.id, template, created)


async def resubmit(session: AsyncSession, row: WhatsAppTemplate, data: Any) -> WhatsAppTemplate:
    """Edit a rejected template (its category and components; Meta keeps the name and
    language) and send it back for review."""
    if row.status not in EDITABLE:
        raise Conflict(
            f"Only a rejected template can be edited; this one is {row.status}.",
            code="TEMPLATE_NOT_EDITABLE",
        )
    if not isinstance(data, dict):
        raise TemplateInvalid("template", "must be an object.")
    for key in ("name", "language"):
        if data.get(key) not in (None, getattr(row, key)):
            raise TemplateInvalid(key, "cannot change: create a new template instead.")
    template = check_template(
        {
            "name": row.name,
            "language": row.language.replace("-", "_"),
            "category": data.get("category") or row.category,
            "components": data.get("components", row.components),
        }
    )
    if not row.meta_template_id:
        raise ValidationError("This template has no Meta id: sync the templates first.")
    conn = await _connection(session, row.assistant_id)
    client, meta_id = service.client_for(conn), row.meta_template_id
    await commit(session)
    try:
        await client.edit_template(
            meta_id, category=template["category"], components=template["components"]
        )
    except GraphError as exc:
        raise await _refused(session, conn, exc, row.name) from exc
    return await templates.record_resubmitted(
        session, row, category=template["category"], components=template["components"]
    )


async def delete(session: AsyncSession, row: WhatsAppTemplate) -> None:
    """Delete the template at Meta (this language only) and here. A template Meta no longer
    has is simply forgotten."""
    conn = await _connection(session, row.assistant_id)
    client, waba = service.client_for(conn), conn.business_account_id
    name, meta_id = row.name, row.meta_template_id
    await commit(session)
    try:
        await client.delete_template(waba, name, meta_id)
    except GraphError as exc:
        if not (exc.code == 100 and _says(exc, "not found", "could not be found")):
            raise await _refused(session, conn, exc, name) from exc
    await templates.remove(session, row)


async def upload_header(
    session: AsyncSession, assistant: Assistant, *, data: bytes, mime_type: str, filename: str
) -> str:
    """Upload a header sample through Meta's Resumable Upload API; returns its handle."""
    kind = HEADER_MEDIA.get(mime_type)
    if kind is None:
        raise TemplateInvalid(
            "header.example.header_handle",
            "a header sample must be a JPEG or PNG image, an MP4 video or a PDF document.",
        )
    if not data:
        raise TemplateInvalid("header.example.header_handle", "the file is empty.")
    if len(data) > kind[1]:
        raise TemplateInvalid(
            "header.example.header_handle",
            f"a {kind[0].lower()} header may be at most {kind[1] // (1024 * 1024)} MB.",
        )
    conn = await _connection(session, assistant.id)
    client = service.client_for(conn)
    settings = get_whatsapp_settings()
    await commit(session)
    try:
        # Embedded Signup tokens belong to the platform's app; a BYOK token to its own.
        app_id = (
            settings.meta_app_id
            if conn.mode == "embedded" and settings.meta_app_id
            else await client.app_id()
        )
        return await client.upload_for_template(
            app_id, data=data, mime_type=mime_type, filename=filename or "header"
        )
    except GraphError as exc:
        raise await _refused(session, conn, exc, "") from exc


def template_of(row: WhatsAppTemplate) -> dict[str, Any]:
    """A stored template in Meta's creation shape (what the editor and PATCH start from)."""
    return {
        "name": row.name,
        "language": row.language,
        "category": row.category or "",
        "components": row.components,
    }


async def get_or_404(
    session: AsyncSession, workspace_id: str, template_id: str
) -> WhatsAppTemplate:
    row = await templates.get_in_workspace(session, workspace_id, template_id)
    if row is None:
        raise NotFound("No such template.")
    return row
