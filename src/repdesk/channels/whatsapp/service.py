"""WhatsApp connections: connecting a number (BYOK or Embedded Signup), checking and
disconnecting it, and the lookups every other module of the channel uses. The only writer of
``whatsapp_connections``.

Functions that call the Graph API (through :mod:`client`) say "Network"; a caller in a request
commits what it holds first (no transaction is kept open over a network call on SQLite).
Templates live in :mod:`templates`, webhook verification in :mod:`webhook`, turning stored
webhook events into conversation state in :mod:`inbound`.
"""

from __future__ import annotations

import logging
import secrets

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from repdesk import vault
from repdesk.assistants.models import Assistant
from repdesk.channels.whatsapp.client import GraphClient, GraphError, PhoneNumberInfo
from repdesk.channels.whatsapp.models import ConnectionStatus, WhatsAppConnection, WhatsAppTemplate
from repdesk.channels.whatsapp.schemas import SyncTemplatesJob
from repdesk.channels.whatsapp.webhook import forget_webhook_target
from repdesk.config import get_settings
from repdesk.jobs.service import enqueue
from repdesk.kit.errors import AppError, Conflict, ValidationError
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
    conn.status = ConnectionStatus.CONNECTED
    conn.status_reason = None
    forget_webhook_target(conn.webhook_path)
    _apply_info(conn, info)
    assistant.channel_address = phone_number
    await session.flush()
    await enqueue(
        session,
        SyncTemplatesJob(assistant_id=assistant.id),
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
    conn.status = ConnectionStatus.CONNECTED
    conn.status_reason = None
    await session.flush()
    return conn


async def mark_disconnected(session: AsyncSession, conn: WhatsAppConnection, reason: str) -> None:
    if conn.status != ConnectionStatus.DISCONNECTED:
        log.warning("whatsapp connection %s disconnected: %s", conn.id, reason)
    conn.status = ConnectionStatus.DISCONNECTED
    conn.status_reason = reason[:300]
    await session.flush()


async def disconnect(session: AsyncSession, assistant: Assistant) -> None:
    """Remove the credentials (and synced templates) of the assistant's number, and the
    webhook events still queued for it."""
    await session.execute(
        delete(WhatsAppTemplate).where(WhatsAppTemplate.assistant_id == assistant.id)
    )
    conn = await get_connection(session, assistant.id)
    if conn is not None:
        forget_webhook_target(conn.webhook_path)
        await session.delete(conn)  # an ORM delete: its events go with it (models.py)
    assistant.channel_address = None
    await session.flush()


async def all_connected(session: AsyncSession) -> list[WhatsAppConnection]:
    rows = await session.scalars(
        select(WhatsAppConnection).where(WhatsAppConnection.status == ConnectionStatus.CONNECTED)
    )
    return list(rows)


def require_connected(conn: WhatsAppConnection | None) -> WhatsAppConnection:
    if conn is None:
        raise NotConnectedError("This assistant has no WhatsApp number connected.")
    return conn
