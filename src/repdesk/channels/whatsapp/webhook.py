"""Meta's webhooks, as the inbound intake takes them (ADR 6, ADR 11): the verifiers of
``POST /webhooks/whatsapp_cloud/{webhookPath}`` (one BYOK connection, signed with its App
Secret) and ``POST /webhooks/whatsapp`` (the platform app, signed with its App Secret, routed
by phone number id to Embedded Signup numbers only).

A verifier checks ``X-Hub-Signature-256``, parses the body (400 ``INVALID_JSON`` for what is
not a webhook) and names one event per item, unique on Meta's id within the connection that
received it: ``msg:{wamid}``, ``st:{wamid}:{status}:{timestamp}``, ``tpl:{hash}``.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from fastapi import Request
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.responses import JSONResponse, Response

from repdesk import vault
from repdesk.channels.whatsapp.config import get_whatsapp_settings
from repdesk.channels.whatsapp.models import PROVIDER, WhatsAppConnection
from repdesk.channels.whatsapp.parser import (
    InboundMessage,
    ParsedWebhook,
    PayloadError,
    StatusUpdate,
    TemplateStatusUpdate,
    parse,
)
from repdesk.db.engine import commit
from repdesk.inbound.registry import NewEvent, Stored, Verified, register_verifier
from repdesk.kit.errors import AppError, NotFound
from repdesk.kit.web import SessionDep


class SignatureError(AppError):
    status = 401
    code = "INVALID_SIGNATURE"


class AppSecretRequiredError(AppError):
    status = 401
    code = "APP_SECRET_REQUIRED"


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
# noticed when its events are stored (the inbound handler's account check fails the insert,
# and the intake answers 404); new credentials take effect within TARGET_TTL.
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
        return get_whatsapp_settings().meta_app_secret or None
    return _decrypt_cached(target.app_secret_enc) if target.app_secret_enc else None


NOT_SECURED = (
    "This WhatsApp connection has no App Secret, so its webhooks cannot be verified and are "
    "refused. Add the App Secret (Meta App Dashboard → App settings → Basic → App Secret) on "
    "the assistant's WhatsApp page."
)


def signature_ok(secret: str, body: bytes, header: str | None) -> bool:
    """``X-Hub-Signature-256: sha256=<hex HMAC-SHA256(body, App Secret)>``, constant time."""
    if not header or not header.startswith("sha256="):
        return False
    expected = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, header[7:].strip().lower())


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


# -- events ----------------------------------------------------------------------------------


def event_key(item: InboundMessage | StatusUpdate | TemplateStatusUpdate) -> str:
    """Meta's id of a webhook item, as the inbound store keys it (within the connection)."""
    if isinstance(item, InboundMessage):
        return f"msg:{item.wamid}"
    if isinstance(item, StatusUpdate):
        ts = int(item.timestamp.timestamp()) if item.timestamp else ""
        return f"st:{item.wamid[:150]}:{item.status[:12]}:{ts}"
    digest = hashlib.sha256(json.dumps(item.source, sort_keys=True).encode()).hexdigest()
    return f"tpl:{digest}"


Account = WhatsAppConnection | WebhookTarget


def events_for(parsed: ParsedWebhook, connections: dict[str, Account]) -> list[NewEvent]:
    """One event per item, for the connection it may address (by phone number id; template
    updates once for each connection of their WABA that this endpoint serves). Items for
    other numbers, and messages without a sender, are dropped."""
    by_waba: dict[str, list[Account]] = {}
    for c in connections.values():
        by_waba.setdefault(c.business_account_id, []).append(c)
    items: list[tuple[str, Any, Account | None]] = [
        ("message", m, connections.get(m.phone_number_id)) for m in parsed.messages
    ]
    items += [("status", st, connections.get(st.phone_number_id)) for st in parsed.statuses]
    for t in parsed.templates:
        items += [("template", t, c) for c in by_waba.get(t.business_account_id, [])]
    return [
        NewEvent(account_id=conn.id, external_id=event_key(item), kind=kind, payload=item.source)
        for kind, item, conn in items
        if conn is not None and not (kind == "message" and not item.sender)
    ]


def respond(stored: Stored) -> Response:
    """What Meta is answered: new messages, messages already received, new statuses."""
    return JSONResponse(
        {
            "received": sum(ev.kind == "message" for ev in stored.new),
            "duplicates": sum(ev.kind == "message" for ev in stored.duplicates),
            "statuses": sum(ev.kind == "status" for ev in stored.new),
        }
    )


def _load(body: bytes) -> ParsedWebhook:
    try:
        return parse(json.loads(body))
    except (ValueError, PayloadError) as exc:
        raise AppError(
            "The body is not a WhatsApp webhook JSON object.", code="INVALID_JSON"
        ) from exc


def _check_signature(secret: str, body: bytes, request: Request) -> None:
    if not signature_ok(secret, body, request.headers.get("x-hub-signature-256")):
        raise SignatureError("X-Hub-Signature-256 is missing or does not match the App Secret.")


# -- verifiers -------------------------------------------------------------------------------


async def verify_connection_webhook(request: Request, session: SessionDep) -> Verified:
    """``POST /webhooks/whatsapp_cloud/{webhookPath}``: Meta's deliveries for one connection,
    signed with its App Secret. The connection is read from a 5-second cache."""
    webhook_path = request.path_params.get("key")
    if not webhook_path:
        raise NotFound("Unknown webhook.")
    body = await request.body()
    target = await get_webhook_target(session, webhook_path)
    if target is None:
        raise NotFound("Unknown webhook.")
    secret = webhook_secret(target)
    if secret is None:
        # Saved before the App Secret was required: nothing can show that a post comes from
        # Meta, so none is taken (Meta retries for days: adding the secret in time loses
        # nothing). The dashboard is told that posts are being refused.
        if await note_unsigned(session, target):
            await commit(session)
            forget_webhook_target(webhook_path)
        raise AppSecretRequiredError(NOT_SECURED)
    _check_signature(secret, body, request)
    return Verified(
        PROVIDER,
        events_for(_load(body), {target.phone_number_id: target}),
        on_account_gone=lambda: forget_webhook_target(webhook_path),
    )


async def verify_platform_webhook(request: Request, session: SessionDep) -> Verified:
    """``POST /webhooks/whatsapp``: the platform app's deliveries, signed with its App
    Secret. Only numbers connected through Embedded Signup are the platform app's: a BYOK
    number belongs to its owner's Meta app, whose App Secret signs its own webhook."""
    if request.path_params.get("key"):
        raise NotFound("Unknown webhook.")
    s = get_whatsapp_settings()
    if not s.meta_app_secret:
        raise NotFound("Embedded Signup is not configured on this server.")
    body = await request.body()
    _check_signature(s.meta_app_secret, body, request)
    parsed = _load(body)
    c = WhatsAppConnection
    platform = c.mode == "embedded"
    conns: dict[str, Account] = {}
    if ids := parsed.phone_number_ids:
        rows = await session.scalars(select(c).where(c.phone_number_id.in_(ids), platform))
        conns = {row.phone_number_id: row for row in rows}
    if wabas := {t.business_account_id for t in parsed.templates}:
        rows = await session.scalars(select(c).where(c.business_account_id.in_(wabas), platform))
        for row in rows:
            conns.setdefault(row.phone_number_id, row)
    return Verified(PROVIDER, events_for(parsed, conns))


register_verifier("whatsapp_cloud", verify_connection_webhook, respond=respond)
register_verifier("whatsapp", verify_platform_webhook, respond=respond)
