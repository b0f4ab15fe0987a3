"""WhatsApp connections, templates and webhook processing. The only writer of its tables.

Network calls to the Graph API happen through :mod:`client`; functions that call the network
say so. Callers in a request should commit what they hold before calling them on SQLite.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
from dataclasses import dataclass

import phonenumbers
from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from repdesk import vault
from repdesk.assistants.models import Assistant
from repdesk.channels.whatsapp.client import GraphClient, GraphError, PhoneNumberInfo, TemplateInfo
from repdesk.channels.whatsapp.models import WhatsAppConnection, WhatsAppTemplate
from repdesk.channels.whatsapp.parser import ParsedWebhook, TemplateStatusUpdate
from repdesk.config import get_settings
from repdesk.conversations import service as conversations
from repdesk.conversations.models import Message
from repdesk.jobs.service import enqueue
from repdesk.kit.errors import AppError, Conflict, ValidationError
from repdesk.kit.time import utcnow

log = logging.getLogger("repdesk.whatsapp")

CHANNEL = "whatsapp"


class CredentialsInvalidError(AppError):
    status = 400
    code = "WHATSAPP_CREDENTIALS_INVALID"


class MetaUnavailableError(AppError):
    status = 502
    code = "META_API_ERROR"


class InvalidPhoneNumberError(AppError):
    status = 400
    code = "INVALID_PHONE_NUMBER"


class NotConnectedError(AppError):
    status = 400
    code = "WHATSAPP_NOT_CONNECTED"


# -- lookups --------------------------------------------------------------------------------


async def get_connection(session: AsyncSession, assistant_id: str) -> WhatsAppConnection | None:
    return await session.scalar(
        select(WhatsAppConnection).where(WhatsAppConnection.assistant_id == assistant_id)
    )


async def get_connection_by_path(
    session: AsyncSession, webhook_path: str
) -> WhatsAppConnection | None:
    return await session.scalar(
        select(WhatsAppConnection).where(WhatsAppConnection.webhook_path == webhook_path)
    )


async def get_connection_by_phone_number_id(
    session: AsyncSession, phone_number_id: str
) -> WhatsAppConnection | None:
    return await session.scalar(
        select(WhatsAppConnection).where(WhatsAppConnection.phone_number_id == phone_number_id)
    )


def access_token(conn: WhatsAppConnection) -> str:
    return vault.decrypt(conn.access_token_enc)


def app_secret(conn: WhatsAppConnection) -> str | None:
    return vault.decrypt(conn.app_secret_enc) if conn.app_secret_enc else None


def client_for(conn: WhatsAppConnection) -> GraphClient:
    return GraphClient(access_token(conn))


def webhook_url(conn: WhatsAppConnection) -> str:
    return f"{get_settings().base_url}/webhooks/whatsapp_cloud/{conn.webhook_path}"


def normalize_e164(phone: str) -> str:
    """``+2348031234567`` stays; spaces, dashes, a missing ``+`` or an impossible number: 400."""
    raw = (phone or "").strip()
    if not raw.startswith("+"):
        raise InvalidPhoneNumberError(
            "phoneNumber must be in E.164 format with the country code, e.g. +2348031234567."
        )
    try:
        parsed = phonenumbers.parse(raw, None)
    except phonenumbers.NumberParseException as exc:
        raise InvalidPhoneNumberError(f"phoneNumber is not a phone number: {exc}") from exc
    # "Possible", not "valid": Meta's own test numbers (+1 555 ...) are not in any numbering plan.
    if not phonenumbers.is_possible_number(parsed) or "+" + _digits(raw) != raw:
        raise InvalidPhoneNumberError(
            "phoneNumber is not a possible E.164 number (digits only after +)."
        )
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def _graph_problem(exc: GraphError, what: str) -> AppError:
    if exc.network or (exc.http_status or 0) >= 500:
        return MetaUnavailableError(
            f"The WhatsApp Cloud API could not be reached while {what}. Try again."
        )
    if exc.code in (190, 0):
        return CredentialsInvalidError(
            "Meta rejected the access token: it is invalid or expired (code 190)."
        )
    if exc.code in (10, 200, 3) or (exc.code is not None and 200 <= exc.code < 300):
        return CredentialsInvalidError(
            f"The access token lacks a permission (code {exc.code}): grant "
            "whatsapp_business_messaging and whatsapp_business_management."
        )
    return CredentialsInvalidError(f"Meta refused the credentials (code {exc.code}): {exc.message}")


# -- connecting -----------------------------------------------------------------------------


async def verify_number(access_token_: str, phone_number_id: str) -> PhoneNumberInfo:
    """Network: check the token against ``GET /{phone-number-id}``."""
    try:
        return await GraphClient(access_token_).get_phone_number(phone_number_id)
    except GraphError as exc:
        raise _graph_problem(exc, "checking the access token") from exc


def _digits(s: str) -> str:
    return "".join(c for c in s if c.isdigit())


async def _save_connection(
    session: AsyncSession,
    assistant: Assistant,
    *,
    mode: str,
    token: str,
    phone_number_id: str,
    business_account_id: str,
    phone_number: str,
    app_secret_: str | None,
    info: PhoneNumberInfo,
) -> WhatsAppConnection:
    other = await get_connection_by_phone_number_id(session, phone_number_id)
    if other is not None and other.assistant_id != assistant.id:
        raise Conflict(
            "This phone number id is already connected to another assistant.",
            code="WHATSAPP_NUMBER_IN_USE",
        )
    conn = await get_connection(session, assistant.id)
    if conn is None:
        conn = WhatsAppConnection(
            assistant_id=assistant.id,
            workspace_id=assistant.workspace_id,
            webhook_path=secrets.token_urlsafe(24),  # 192 bits
            verify_token=secrets.token_urlsafe(24),
            unsigned_seen=False,
        )
        session.add(conn)
    conn.mode = mode
    conn.phone_number_id = phone_number_id
    conn.business_account_id = business_account_id
    conn.phone_number = phone_number
    conn.access_token_enc = vault.encrypt(token)
    conn.app_secret_enc = vault.encrypt(app_secret_) if app_secret_ else None
    conn.status = "connected"
    conn.status_reason = None
    _apply_info(conn, info)
    assistant.channel_address = phone_number
    await session.flush()
    await enqueue(
        session,
        "whatsapp.sync_templates",
        {"assistantId": assistant.id},
        dedupe_key=f"wa-sync:{assistant.id}",
    )
    return conn


def _apply_info(conn: WhatsAppConnection, info: PhoneNumberInfo) -> None:
    conn.display_name = info.verified_name[:200] or None
    conn.quality_rating = info.quality_rating[:20] or None
    conn.messaging_tier = info.messaging_limit[:40] or None
    conn.checked_at = utcnow()


async def connect_byok(
    session: AsyncSession,
    assistant: Assistant,
    *,
    access_token: str,
    phone_number_id: str,
    business_account_id: str,
    phone_number: str,
    app_secret: str | None = None,
) -> WhatsAppConnection:
    """Network. Validate BYOK credentials against the Graph API and save the connection.

    Raises ValidationError (bad number / ids), CredentialsInvalidError (400: Meta rejected the
    token), MetaUnavailableError (502), Conflict (number connected elsewhere). Nothing is saved
    unless Meta accepted the token for that phone number id.
    """
    if assistant.platform != "whatsapp":
        raise ValidationError("Only WhatsApp assistants can connect a WhatsApp number.")
    e164 = normalize_e164(phone_number)
    token = (access_token or "").strip()
    pnid = (phone_number_id or "").strip()
    waba = (business_account_id or "").strip()
    if not token:
        raise ValidationError("accessToken is required.")
    if not pnid.isdigit() or len(pnid) > 64:
        raise ValidationError("phoneNumberId must be the numeric Phone Number ID from Meta.")
    if not waba.isdigit() or len(waba) > 64:
        raise ValidationError("businessAccountId must be the numeric WhatsApp Business Account ID.")
    secret = (app_secret or "").strip() or None
    info = await verify_number(token, pnid)
    shown, given = _digits(info.display_phone_number), _digits(e164)
    # Meta shows the number with its country code; tolerate a display without it.
    if shown and not (given == shown or given.endswith(shown)):
        raise ValidationError(
            f"phoneNumber {e164} does not match the number Meta has for this Phone Number ID "
            f"({info.display_phone_number})."
        )
    return await _save_connection(
        session,
        assistant,
        mode="byok",
        token=token,
        phone_number_id=pnid,
        business_account_id=waba,
        phone_number=e164,
        app_secret_=secret,
        info=info,
    )


async def connect_embedded(
    session: AsyncSession,
    assistant: Assistant,
    *,
    code: str,
    business_account_id: str,
    phone_number_id: str,
    pin: str | None = None,
) -> WhatsAppConnection:
    """Network. Embedded Signup: exchange the code for a business token, subscribe our app to
    the WABA, register the number for Cloud API, read its details and save the connection."""
    from repdesk.channels.whatsapp.client import exchange_code
    from repdesk.channels.whatsapp.config import get_whatsapp_settings

    s = get_whatsapp_settings()
    if not (s.meta_app_id and s.meta_app_secret):
        raise AppError(
            "Embedded Signup is not configured on this server (REPDESK_META_APP_ID).",
            code="EMBEDDED_SIGNUP_UNAVAILABLE",
            status=400,
        )
    if assistant.platform != "whatsapp":
        raise ValidationError("Only WhatsApp assistants can connect a WhatsApp number.")
    if not code or not phone_number_id.isdigit() or not business_account_id.isdigit():
        raise ValidationError("code, phoneNumberId and businessAccountId are required.")
    try:
        token = await exchange_code(code)
        client = GraphClient(token)
        await client.subscribe_app(business_account_id)
        await client.register_number(phone_number_id, pin or f"{secrets.randbelow(10**6):06d}")
        info = await client.get_phone_number(phone_number_id)
    except GraphError as exc:
        raise _graph_problem(exc, "completing Embedded Signup") from exc
    e164 = normalize_e164("+" + _digits(info.display_phone_number))
    return await _save_connection(
        session,
        assistant,
        mode="embedded",
        token=token,
        phone_number_id=phone_number_id,
        business_account_id=business_account_id,
        phone_number=e164,
        app_secret_=None,
        info=info,
    )


async def check_connection(session: AsyncSession, conn: WhatsAppConnection) -> WhatsAppConnection:
    """Network. Refresh display name, quality rating and tier; a rejected token disconnects."""
    try:
        info = await client_for(conn).get_phone_number(conn.phone_number_id)
    except GraphError as exc:
        if exc.code == 190:
            await mark_disconnected(
                session, conn, "Meta rejected the access token (expired or revoked)."
            )
            return conn
        raise _graph_problem(exc, "checking the connection") from exc
    _apply_info(conn, info)
    conn.status = "connected"
    conn.status_reason = None
    await session.flush()
    return conn


async def mark_disconnected(session: AsyncSession, conn: WhatsAppConnection, reason: str) -> None:
    if conn.status != "disconnected":
        log.warning("whatsapp connection %s disconnected: %s", conn.id, reason)
    conn.status = "disconnected"
    conn.status_reason = reason[:300]
    await session.flush()


async def disconnect(session: AsyncSession, assistant: Assistant) -> None:
    """Remove the credentials (and synced templates) of the assistant's number."""
    await session.execute(
        delete(WhatsAppTemplate).where(WhatsAppTemplate.assistant_id == assistant.id)
    )
    await session.execute(
        delete(WhatsAppConnection).where(WhatsAppConnection.assistant_id == assistant.id)
    )
    assistant.channel_address = None
    await session.flush()


def signature_ok(secret: str, body: bytes, header: str | None) -> bool:
    """``X-Hub-Signature-256: sha256=<hex HMAC-SHA256(body, App Secret)>``, constant time."""
    if not header or not header.startswith("sha256="):
        return False
    expected = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, header[7:].strip().lower())


# -- templates ------------------------------------------------------------------------------


def _lang_key(language: str) -> str:
    return language.replace("-", "_").lower()


async def list_templates(session: AsyncSession, assistant_id: str) -> list[WhatsAppTemplate]:
    rows = await session.scalars(
        select(WhatsAppTemplate)
        .where(WhatsAppTemplate.assistant_id == assistant_id)
        .order_by(WhatsAppTemplate.name, WhatsAppTemplate.language)
    )
    return list(rows)


async def get_template(
    session: AsyncSession, assistant_id: str, name: str, language: str
) -> WhatsAppTemplate | None:
    """The synced template ``name`` in ``language`` (``en_US`` and ``en-US`` are the same)."""
    rows = await session.scalars(
        select(WhatsAppTemplate).where(
            WhatsAppTemplate.assistant_id == assistant_id, WhatsAppTemplate.name == name
        )
    )
    want = _lang_key(language)
    for row in rows:
        if _lang_key(row.language) == want:
            return row
    return None


async def store_templates(
    session: AsyncSession, assistant_id: str, infos: list[TemplateInfo]
) -> int:
    existing = {
        (_lang_key(t.language), t.name): t for t in await list_templates(session, assistant_id)
    }
    now = utcnow()
    seen = set()
    for info in infos:
        key = (_lang_key(info.language), info.name)
        seen.add(key)
        row = existing.get(key)
        if row is None:
            row = WhatsAppTemplate(
                assistant_id=assistant_id, name=info.name[:512], language=info.language[:15]
            )
            session.add(row)
            existing[key] = row
        row.meta_template_id = info.id[:64] or None
        row.status = info.status[:20] or "UNKNOWN"
        row.category = info.category[:30] or None
        row.components = info.components
        row.rejected_reason = (
            (info.rejected_reason[:300] or None)
            if info.rejected_reason not in ("", "NONE")
            else None
        )
        row.synced_at = now
    for key, row in existing.items():
        if key not in seen:  # deleted in WhatsApp Manager
            await session.delete(row)
    await session.flush()
    return len(infos)


async def apply_template_status(session: AsyncSession, update: TemplateStatusUpdate) -> int:
    """A ``message_template_status_update`` webhook: update that template on every assistant
    connected to the WABA. Returns how many rows changed."""
    conns = await session.scalars(
        select(WhatsAppConnection).where(
            WhatsAppConnection.business_account_id == update.business_account_id
        )
    )
    changed = 0
    for conn in conns:
        rows = await session.scalars(
            select(WhatsAppTemplate).where(WhatsAppTemplate.assistant_id == conn.assistant_id)
        )
        for row in rows:
            if (update.template_id and row.meta_template_id == update.template_id) or (
                row.name == update.name and _lang_key(row.language) == _lang_key(update.language)
            ):
                row.status = update.event[:20]
                row.rejected_reason = (
                    update.reason[:300] if update.reason and update.reason != "NONE" else None
                )
                changed += 1
    await session.flush()
    return changed


# -- inbound --------------------------------------------------------------------------------


@dataclass
class WebhookResult:
    stored: int = 0
    duplicates: int = 0
    statuses: int = 0
    templates: int = 0
    ignored: int = 0


def meta_error_code(provider_code: int | None) -> str:
    return "SERVICE_WINDOW_CLOSED" if provider_code == 131047 else "META_API_ERROR"


async def process_webhook(
    session: AsyncSession, parsed: ParsedWebhook, connections: dict[str, WhatsAppConnection]
) -> WebhookResult:
    """Store what a webhook POST carried, for the connections it may address (by phone
    number id). Idempotent: redelivered messages are stored once (unique on the wamid)."""
    result = WebhookResult()
    assistants: dict[str, Assistant] = {}
    # Redeliveries are common (Meta retries, several subscribed apps): one query finds every
    # wamid of this POST that is already stored. The unique constraint still decides races.
    wamids = [m.wamid for m in parsed.messages]
    known: set[str] = set()
    if wamids:
        rows = await session.scalars(
            select(Message.external_id).where(
                Message.channel == CHANNEL, Message.external_id.in_(wamids)
            )
        )
        known = {w for w in rows if w}
    for msg in parsed.messages:
        conn = connections.get(msg.phone_number_id)
        if conn is None or not msg.sender:
            result.ignored += 1
            continue
        if msg.wamid in known:
            result.duplicates += 1
            continue
        known.add(msg.wamid)
        assistant = assistants.get(conn.assistant_id) or await session.get(
            Assistant, conn.assistant_id
        )
        if assistant is None:
            result.ignored += 1
            continue
        assistants[assistant.id] = assistant
        # Voice notes wait for transcription (message.media_stored); reactions never ask the AI.
        trigger_ai = msg.type not in ("audio", "reaction")
        inbound = await conversations.record_inbound(
            session,
            assistant=assistant,
            channel=CHANNEL,
            type=msg.type,
            text=msg.text,
            content=msg.content,
            external_id=msg.wamid,
            sent_at=msg.timestamp,
            phone=msg.sender,
            name=msg.name,
            reply_to_external_id=msg.reply_to,
            trigger_ai=trigger_ai,
        )
        if not inbound.created:
            result.duplicates += 1
            continue
        result.stored += 1
        if msg.media is not None:
            await enqueue(
                session,
                "whatsapp.download_media",
                {"messageId": inbound.message.id, "mediaId": msg.media.media_id},
                dedupe_key=f"wa-media:{inbound.message.id}",
            )
    for st in parsed.statuses:
        if st.phone_number_id not in connections:
            result.ignored += 1
            continue
        await conversations.apply_status(
            session,
            channel=CHANNEL,
            external_id=st.wamid,
            status=st.status,
            timestamp=st.timestamp,
            error_code=meta_error_code(st.error_code) if st.status == "failed" else None,
            error_title=(st.error_title or st.error_details) if st.status == "failed" else None,
            provider_code=st.error_code,
        )
        result.statuses += 1
    for tpl in parsed.templates:
        if any(c.business_account_id == tpl.business_account_id for c in connections.values()):
            result.templates += await apply_template_status(session, tpl)
        else:
            result.ignored += 1
    return result


async def note_unsigned(session: AsyncSession, conn: WhatsAppConnection) -> None:
    if not conn.unsigned_seen:
        conn.unsigned_seen = True
        await session.flush()


async def all_connected(session: AsyncSession) -> list[WhatsAppConnection]:
    rows = await session.scalars(
        select(WhatsAppConnection).where(WhatsAppConnection.status == "connected")
    )
    return list(rows)


def require_connected(conn: WhatsAppConnection | None) -> WhatsAppConnection:
    if conn is None:
        raise NotConnectedError("This assistant has no WhatsApp number connected.")
    return conn
