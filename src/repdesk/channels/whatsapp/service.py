"""WhatsApp connections, templates and webhook processing. The only writer of its tables.

Network calls to the Graph API happen through :mod:`client`; functions that call the network
say so. Callers in a request should commit what they hold before calling them on SQLite.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import secrets
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from repdesk import vault
from repdesk.assistants.models import Assistant
from repdesk.channels.whatsapp.client import GraphClient, GraphError, PhoneNumberInfo, TemplateInfo
from repdesk.channels.whatsapp.models import WhatsAppConnection, WhatsAppEvent, WhatsAppTemplate
from repdesk.channels.whatsapp.parser import (
    InboundMessage,
    ParsedWebhook,
    StatusUpdate,
    TemplateStatusUpdate,
    parse,
)
from repdesk.config import get_settings
from repdesk.conversations import service as conversations
from repdesk.conversations.models import Message
from repdesk.db.upsert import insert_ignore
from repdesk.jobs.service import enqueue, enqueue_once
from repdesk.kit.errors import AppError, Conflict, ValidationError
from repdesk.kit.ids import new_id
from repdesk.kit.phones import normalize_phone
from repdesk.kit.time import utcnow

log = logging.getLogger("repdesk.whatsapp")

CHANNEL = "whatsapp"


class CredentialsInvalidError(AppError):
    status = 400
    code = "WHATSAPP_CREDENTIALS_INVALID"


class MetaUnavailableError(AppError):
    status = 502
    code = "META_API_ERROR"


class NotConnectedError(AppError):
    status = 400
    code = "WHATSAPP_NOT_CONNECTED"


# -- lookups --------------------------------------------------------------------------------


async def get_connection(session: AsyncSession, assistant_id: str) -> WhatsAppConnection | None:
    return await session.scalar(
        select(WhatsAppConnection).where(WhatsAppConnection.assistant_id == assistant_id)
    )


def _send_key(assistant_id: str) -> str:
    return f"repdesk.wa_conn:{assistant_id}"


async def get_connection_for_send(
    session: AsyncSession, assistant_id: str
) -> WhatsAppConnection | None:
    """:func:`get_connection`, read once per unit of work: validating and sending one message
    both need it, moments apart."""
    key = _send_key(assistant_id)
    if key not in session.info:
        session.info[key] = await get_connection(session, assistant_id)
    conn: WhatsAppConnection | None = session.info[key]
    return conn


def remember_connection(
    session: AsyncSession, assistant_id: str, conn: WhatsAppConnection | None
) -> None:
    """Hand :func:`get_connection_for_send` a connection the caller read with other rows."""
    session.info[_send_key(assistant_id)] = conn


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


@dataclass(frozen=True)
class WebhookTarget:
    """What acknowledging a BYOK webhook needs of its connection (one small query)."""

    id: str
    phone_number_id: str
    business_account_id: str
    app_secret_enc: str | None
    unsigned_seen: bool
    mode: str


# Webhook path -> (target, when read). Meta posts to one path many times a second; reading
# the connection once per TARGET_TTL saves a query per POST. A connection deleted meanwhile is
# noticed by the foreign key when its events are stored (the route then asks again and
# answers 404); new credentials take effect within TARGET_TTL.
_targets: dict[str, tuple[WebhookTarget, float]] = {}
TARGET_TTL = 5.0


async def get_webhook_target(
    session: AsyncSession, webhook_path: str, *, fresh: bool = False
) -> WebhookTarget | None:
    now = time.monotonic()
    cached = None if fresh else _targets.get(webhook_path)
    if cached is not None and now - cached[1] < TARGET_TTL:
        return cached[0]
    c = WhatsAppConnection
    row = (
        await session.execute(
            select(
                c.id,
                c.phone_number_id,
                c.business_account_id,
                c.app_secret_enc,
                c.unsigned_seen,
                c.mode,
            ).where(c.webhook_path == webhook_path)
        )
    ).first()
    if row is None:
        _targets.pop(webhook_path, None)
        return None
    target = WebhookTarget(*row)
    if len(_targets) > 10_000:
        _targets.clear()
    _targets[webhook_path] = (target, now)
    return target


def forget_webhook_target(webhook_path: str) -> None:
    _targets.pop(webhook_path, None)


@lru_cache(maxsize=256)
def _decrypt_cached(token: str) -> str:
    # A ciphertext always decrypts to the same secret; webhooks ask for it on every POST.
    return vault.decrypt(token)


def webhook_secret(target: WebhookTarget) -> str | None:
    """The App Secret that signs the connection's webhooks; None: nothing can verify them."""
    if target.mode == "embedded":  # Meta signs with the platform app's secret
        from repdesk.channels.whatsapp.config import get_whatsapp_settings

        return get_whatsapp_settings().meta_app_secret or None
    return _decrypt_cached(target.app_secret_enc) if target.app_secret_enc else None


NOT_SECURED = (
    "This WhatsApp connection has no App Secret, so its webhooks cannot be verified and are "
    "refused. Add the App Secret (Meta App Dashboard → App settings → Basic → App Secret) on "
    "the assistant's WhatsApp page."
)


def is_secured(conn: WhatsAppConnection) -> bool:
    """False for a BYOK connection saved before the App Secret was required: every webhook
    post to it is refused until the secret is added."""
    return conn.mode != "byok" or bool(conn.app_secret_enc)


async def unsecured_assistant_ids(
    session: AsyncSession, *, workspace_id: str, assistant_id: str | None = None
) -> set[str]:
    """The workspace's assistants whose WhatsApp connection is not secured (one query, for the
    pages that list assistants)."""
    c = WhatsAppConnection
    stmt = select(c.assistant_id).where(
        c.workspace_id == workspace_id, c.mode == "byok", c.app_secret_enc.is_(None)
    )
    if assistant_id is not None:
        stmt = stmt.where(c.assistant_id == assistant_id)
    return set(await session.scalars(stmt))


def _app_secret(value: str | None) -> str:
    secret = (value or "").strip()
    if not secret:
        raise ValidationError(
            "appSecret is required: Meta signs every webhook with your app's App Secret, and "
            "repdesk refuses webhooks it cannot verify. Find it in the Meta App Dashboard → "
            "App settings → Basic → App Secret."
        )
    if len(secret) > 256 or not secret.isprintable():
        raise ValidationError("appSecret must be up to 256 printable characters.")
    return secret


async def set_app_secret(
    session: AsyncSession, conn: WhatsAppConnection, app_secret: str | None
) -> WhatsAppConnection:
    """Save the App Secret of a BYOK connection (its webhooks are verified from now on)."""
    if conn.mode != "byok":
        raise ValidationError(
            "This number was connected with Embedded Signup: its webhooks are signed with the "
            "platform's App Secret."
        )
    conn.app_secret_enc = vault.encrypt(_app_secret(app_secret))
    conn.unsigned_seen = False
    forget_webhook_target(conn.webhook_path)
    await session.flush()
    return conn


def access_token(conn: WhatsAppConnection) -> str:
    return vault.decrypt(conn.access_token_enc)


def client_for(conn: WhatsAppConnection) -> GraphClient:
    return GraphClient(access_token(conn))


def webhook_url(conn: WhatsAppConnection) -> str:
    return f"{get_settings().base_url}/webhooks/whatsapp_cloud/{conn.webhook_path}"


def normalize_e164(phone: str) -> str:
    """A WhatsApp number as Meta shows it: ``+`` and digits only, a possible number."""
    return normalize_phone(phone, field="phoneNumber", strict=True)


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
    forget_webhook_target(conn.webhook_path)
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
    app_secret: str | None,
) -> WhatsAppConnection:
    """Network. Validate BYOK credentials against the Graph API and save the connection.

    Raises ValidationError (bad number / ids, no App Secret), CredentialsInvalidError (400:
    Meta rejected the token), MetaUnavailableError (502), Conflict (number connected
    elsewhere). Nothing is saved unless Meta accepted the token for that phone number id.
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
    secret = _app_secret(app_secret)
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
    conn = await get_connection(session, assistant.id)
    if conn is not None:
        forget_webhook_target(conn.webhook_path)
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


async def apply_template_status(
    session: AsyncSession, update: TemplateStatusUpdate, conn: WhatsAppConnection
) -> int:
    """A ``message_template_status_update`` webhook received for ``conn``: update that template
    of its assistant (only: another tenant may claim the same WABA id on its own webhook, and
    the platform webhook stores the update once per connection of the WABA). Returns how many
    rows changed."""
    if update.business_account_id != conn.business_account_id:
        return 0
    changed = 0
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
    session: AsyncSession,
    parsed: ParsedWebhook,
    connections: dict[str, WhatsAppConnection],
    templates: Sequence[tuple[TemplateStatusUpdate, WhatsAppConnection]] = (),
) -> WebhookResult:
    """Store the messages and statuses of webhook items, for the connections they may address
    (by phone number id), and apply each template update to the connection it was received
    for. Idempotent: redelivered messages are stored once (unique on the wamid within the
    assistant: the same wamid at another assistant is not a redelivery)."""
    result = WebhookResult()
    # Redeliveries are common (Meta retries, several subscribed apps): one query finds every
    # wamid of this POST that is already stored. The unique constraint still decides races.
    wamids = [m.wamid for m in parsed.messages]
    known: set[tuple[str, str]] = set()
    if wamids:
        rows = await session.execute(
            select(Message.assistant_id, Message.external_id).where(
                Message.channel == CHANNEL, Message.external_id.in_(wamids)
            )
        )
        known = {(a, w) for a, w in rows if w}
    # Group the new messages by assistant (keeping their order) and store each group with
    # one batch of statements.
    batches: dict[str, list[InboundMessage]] = {}
    for msg in parsed.messages:
        conn = connections.get(msg.phone_number_id)
        if conn is None or not msg.sender:
            result.ignored += 1
            continue
        if (conn.assistant_id, msg.wamid) in known:
            result.duplicates += 1
            continue
        known.add((conn.assistant_id, msg.wamid))
        batches.setdefault(conn.assistant_id, []).append(msg)
    for assistant_id, msgs in batches.items():
        assistant = await session.get(Assistant, assistant_id)
        if assistant is None:
            result.ignored += len(msgs)
            continue
        stored = await conversations.record_inbound_many(
            session,
            assistant=assistant,
            channel=CHANNEL,
            items=[
                conversations.NewInbound(
                    type=msg.type,
                    text=msg.text,
                    content=msg.content,
                    external_id=msg.wamid,
                    sent_at=msg.timestamp,
                    phone=msg.sender,
                    name=msg.name,
                    reply_to_external_id=msg.reply_to,
                    # Voice notes wait for transcription (message.media_stored); reactions
                    # never ask the AI.
                    trigger_ai=msg.type not in ("audio", "reaction"),
                )
                for msg in msgs
            ],
        )
        result.stored += len(stored)
        for msg, inbound in zip(msgs, stored, strict=True):
            if msg.media is not None:
                await enqueue(
                    session,
                    "whatsapp.download_media",
                    {"messageId": inbound.message.id, "mediaId": msg.media.media_id},
                )
    for st in parsed.statuses:
        status_conn = connections.get(st.phone_number_id)
        if status_conn is None:
            result.ignored += 1
            continue
        await conversations.apply_status(
            session,
            assistant_id=status_conn.assistant_id,
            channel=CHANNEL,
            external_id=st.wamid,
            status=st.status,
            timestamp=st.timestamp,
            error_code=meta_error_code(st.error_code) if st.status == "failed" else None,
            error_title=(st.error_title or st.error_details) if st.status == "failed" else None,
            provider_code=st.error_code,
        )
        result.statuses += 1
    for tpl, tpl_conn in templates:
        result.templates += await apply_template_status(session, tpl, tpl_conn)
    return result


# -- the inbound queue ----------------------------------------------------------------------
#
# Acknowledging a webhook stores its items raw (one row each, unique on the connection and
# Meta's id) and schedules ``whatsapp.ingest``; the job turns pending rows into conversation
# state with :func:`process_webhook`, a batch per transaction. Meta gets its 200 after one
# insert.

INGEST_JOB = "whatsapp.ingest"
INGEST_BATCH = 100
EVENT_MAX_ATTEMPTS = 5


@dataclass
class WebhookAck:
    received: int = 0  # new messages
    duplicates: int = 0  # messages already received
    statuses: int = 0  # new status updates
    templates: int = 0  # new template updates
    ignored: int = 0  # items for numbers this endpoint does not serve
    slot: str | None = None  # the batching window whose job this POST scheduled


def _event_key(kind: str, item: InboundMessage | StatusUpdate | TemplateStatusUpdate) -> str:
    if isinstance(item, InboundMessage):
        return f"msg:{item.wamid}"
    if isinstance(item, StatusUpdate):
        ts = int(item.timestamp.timestamp()) if item.timestamp else ""
        return f"st:{item.wamid[:150]}:{item.status[:12]}:{ts}"
    digest = hashlib.sha256(json.dumps(item.source, sort_keys=True).encode()).hexdigest()
    return f"tpl:{digest}"


def ingest_slot(now: datetime, batch_ms: int) -> tuple[str, datetime]:
    """The ``whatsapp.ingest`` job that a webhook acknowledged at ``now`` joins, and when it
    runs: one job per ``batch_ms`` window, due at the window's end, so a burst of POSTs is
    processed in a few large transactions instead of one job each. ``batch_ms`` 0: a job per
    POST, due at once."""
    if batch_ms <= 0:
        return f"{INGEST_JOB}:{secrets.token_hex(8)}", now
    slot = int(now.timestamp() * 1000) // batch_ms
    due = datetime.fromtimestamp((slot + 1) * batch_ms / 1000, tz=UTC)
    return f"{INGEST_JOB}:{slot}", due


async def store_events(
    session: AsyncSession,
    parsed: ParsedWebhook,
    connections: dict[str, WhatsAppConnection] | dict[str, WebhookTarget],
    *,
    batch_ms: int,
) -> WebhookAck:
    """Queue what a webhook POST carried for the connections it may address (by phone number
    id; template updates by WABA). Idempotent: an item already stored is counted, not stored
    again. Schedules ``whatsapp.ingest`` when something new was stored."""
    ack = WebhookAck()
    now = utcnow()
    rows: list[dict[str, Any]] = []
    by_waba: dict[str, list[WhatsAppConnection | WebhookTarget]] = {}
    for c in connections.values():
        by_waba.setdefault(c.business_account_id, []).append(c)
    items: list[tuple[str, Any, WhatsAppConnection | WebhookTarget | None]] = [
        ("message", m, connections.get(m.phone_number_id)) for m in parsed.messages
    ]
    items += [("status", st, connections.get(st.phone_number_id)) for st in parsed.statuses]
    for t in parsed.templates:  # once for each connection of the WABA this endpoint serves
        targets = by_waba.get(t.business_account_id)
        items += [("template", t, c) for c in targets] if targets else [("template", t, None)]
    seen: set[tuple[str, str]] = set()
    for kind, item, conn in items:
        if conn is None or (kind == "message" and not item.sender):
            ack.ignored += 1
            continue
        # Keys are unique per connection: another tenant's webhook cannot claim them.
        key = _event_key(kind, item)
        if (conn.id, key) in seen:  # the same item twice in one POST
            if kind == "message":
                ack.duplicates += 1
            continue
        seen.add((conn.id, key))
        rows.append(
            {
                "id": new_id(),
                "connection_id": conn.id,
                "kind": kind,
                "dedupe_key": key,
                "payload": item.source,
                "received_at": now,
            }
        )
    new = set(
        await insert_ignore(
            session,
            WhatsAppEvent.__table__,  # type: ignore[arg-type]
            rows,
            conflict=("connection_id", "dedupe_key"),
            returning="id",
        )
    )
    for row in rows:
        kind, fresh = row["kind"], row["id"] in new
        if kind == "message":
            ack.received += fresh
            ack.duplicates += not fresh
        elif kind == "status":
            ack.statuses += fresh
        else:
            ack.templates += fresh
    if new:
        key, due = ingest_slot(now, batch_ms)
        if key not in _scheduled_slots:
            await enqueue_once(session, INGEST_JOB, {}, dedupe_key=key, run_at=due)
            ack.slot = key
    return ack


# Batching windows whose ingest job this process knows exists (it committed it, or found it
# there): further POSTs of the window skip that insert. Remembered only after the commit.
_scheduled_slots: dict[str, None] = {}


def slot_scheduled(ack: WebhookAck) -> None:
    """Call after committing the POST whose ``store_events`` returned ``ack``."""
    if ack.slot is not None:
        _scheduled_slots[ack.slot] = None
        while len(_scheduled_slots) > 64:
            del _scheduled_slots[next(iter(_scheduled_slots))]


def _pending(*columns: Any, limit: int) -> Any:
    """Pending inbound events, oldest first."""
    return (
        select(*columns)
        .where(WhatsAppEvent.processed_at.is_(None))
        .order_by(WhatsAppEvent.received_at, WhatsAppEvent.id)
        .limit(limit)
    )


async def _process_events(session: AsyncSession, events: list[WhatsAppEvent]) -> WebhookResult:
    ids = {ev.connection_id for ev in events}
    conns = {
        c.id: c
        for c in await session.scalars(
            select(WhatsAppConnection).where(WhatsAppConnection.id.in_(ids))
        )
    }
    merged = ParsedWebhook()
    templates: list[tuple[TemplateStatusUpdate, WhatsAppConnection]] = []
    for ev in events:
        one = parse(ev.payload)
        merged.messages += one.messages
        merged.statuses += one.statuses
        # A template update applies to the connection it was stored for (messages and
        # statuses name their number, which belongs to one connection).
        templates += [(t, conns[ev.connection_id]) for t in one.templates]
    by_number = {c.phone_number_id: c for c in conns.values()}
    result = await process_webhook(session, merged, by_number, templates)
    now = utcnow()
    for ev in events:
        ev.processed_at = now
    await session.flush()
    return result


async def process_pending(session: AsyncSession, *, limit: int = INGEST_BATCH) -> int:
    """Process up to ``limit`` pending inbound events in the session's transaction (rows are
    locked with SKIP LOCKED, so several workers share the queue). Returns how many were
    taken. If the batch fails, the caller rolls back and calls :func:`process_one_by_one`."""
    events = list(
        await session.scalars(
            _pending(WhatsAppEvent, limit=limit).with_for_update(skip_locked=True)
        )
    )
    if events:
        await _process_events(session, events)
    return len(events)


async def pending_ids(session: AsyncSession, limit: int = INGEST_BATCH) -> list[str]:
    return list(await session.scalars(_pending(WhatsAppEvent.id, limit=limit)))


async def process_event(session: AsyncSession, event_id: str) -> None:
    """Process one pending event (the fallback when a batch fails)."""
    ev = await session.scalar(
        select(WhatsAppEvent)
        .where(WhatsAppEvent.id == event_id, WhatsAppEvent.processed_at.is_(None))
        .with_for_update(skip_locked=True)
    )
    if ev is not None:
        await _process_events(session, [ev])


async def record_event_failure(session: AsyncSession, event_id: str, error: str) -> bool:
    """Count a failed attempt; after ``EVENT_MAX_ATTEMPTS`` the event is set aside (marked
    processed with its error, and logged). True when it was set aside."""
    ev = await session.get(WhatsAppEvent, event_id)
    if ev is None:
        return False
    ev.attempts += 1
    ev.last_error = error[:2000]
    dead = ev.attempts >= EVENT_MAX_ATTEMPTS
    if dead:
        ev.processed_at = utcnow()
    await session.flush()
    return dead


async def prune_events(session: AsyncSession, *, older_than: timedelta) -> int:
    """Forget processed events (Meta stops redelivering after 7 days)."""
    result = await session.execute(
        delete(WhatsAppEvent).where(
            WhatsAppEvent.processed_at.is_not(None),
            WhatsAppEvent.processed_at < utcnow() - older_than,
        )
    )
    return int(getattr(result, "rowcount", 0) or 0)


async def note_unsigned(session: AsyncSession, target: WebhookTarget) -> bool:
    """Remember that a webhook post was refused for want of an App Secret (shown on the
    dashboard). True when this wrote it (the caller commits)."""
    if target.unsigned_seen:
        return False
    await session.execute(
        update(WhatsAppConnection)
        .where(WhatsAppConnection.id == target.id)
        .values(unsigned_seen=True)
    )
    return True


async def all_connected(session: AsyncSession) -> list[WhatsAppConnection]:
    rows = await session.scalars(
        select(WhatsAppConnection).where(WhatsAppConnection.status == "connected")
    )
    return list(rows)


def require_connected(conn: WhatsAppConnection | None) -> WhatsAppConnection:
    if conn is None:
        raise NotConnectedError("This assistant has no WhatsApp number connected.")
    return conn
