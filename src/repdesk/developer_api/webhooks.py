"""Signed outbound webhooks: endpoints, the ``message.*`` consumer and the delivery job.

Every ``message.*`` event becomes one :class:`WebhookDelivery` per subscribed endpoint, written
with a ``webhooks.deliver`` job in the transaction that emits the event (an inline consumer:
durable, a restart loses none, and no dispatch job in between); workers make the attempts.
An attempt POSTs the stored body, signed with ``X-247Rep-Signature`` (hex HMAC-SHA256 of the
raw body) and ``X-247Rep-Timestamp``; a non-2xx answer or no answer within 5 seconds is
retried 5 times on an exponential schedule, then the delivery is marked failed.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import logging
import secrets
import time
from datetime import timedelta
from functools import lru_cache
from typing import Any

import aiohttp
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from repdesk import vault
from repdesk.config import get_settings
from repdesk.db.engine import commit_then, tx_cache
from repdesk.developer_api.config import get_api_settings
from repdesk.developer_api.models import DeliveryStatus, WebhookDelivery, WebhookEndpoint
from repdesk.developer_api.schemas import WEBHOOK_EVENTS, DeliverWebhookJob
from repdesk.developer_api.wire import js_stringify
from repdesk.events import types as events_types
from repdesk.events.service import on_event
from repdesk.jobs.service import enqueue
from repdesk.kit import urlguard
from repdesk.kit.errors import NotFound, ValidationError
from repdesk.kit.http import guarded_session
from repdesk.kit.ids import new_id
from repdesk.kit.pagination import paginate
from repdesk.kit.time import utcnow

log = logging.getLogger("repdesk.webhooks")

EVENTS = WEBHOOK_EVENTS
MAX_ENDPOINTS = 10
SIGNATURE_HEADER = "X-247Rep-Signature"
TIMESTAMP_HEADER = "X-247Rep-Timestamp"
USER_AGENT = "repdesk-webhooks/1"
MAX_RESPONSE_BYTES = 64 * 1024


def sign(secret: str, body: bytes) -> str:
    return hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()


def new_secret() -> str:
    return "whsec_" + secrets.token_hex(24)


# -- endpoints ------------------------------------------------------------------------------


def _reach() -> urlguard.Reach:
    """Webhook URLs must be public https ones unless the operator allows private receivers
    (``REPDESK_ALLOW_PRIVATE_WEBHOOKS``, for development), checked by the one URL guard."""
    if get_settings().allow_private_webhooks:
        return urlguard.Reach.PRIVATE
    return urlguard.Reach.PUBLIC


def _check_events(events: list[str] | None) -> list[str]:
    if not events:
        return list(EVENTS)
    unknown = [e for e in events if e not in EVENTS]
    if unknown:
        raise ValidationError(f"events: unknown event {unknown[0]!r}; use {', '.join(EVENTS)}.")
    return [e for e in EVENTS if e in events]


async def create_endpoint(
    session: AsyncSession, *, assistant_id: str, url: str, events: list[str] | None
) -> tuple[WebhookEndpoint, str]:
    """Register a receiver. Returns the endpoint and its signing secret (shown once)."""
    url = (url or "").strip()
    reach = _reach()
    await urlguard.check_url(
        url, field="url", reach=reach, require_https=reach is urlguard.Reach.PUBLIC
    )
    chosen = _check_events(events)
    count = len(await list_endpoints(session, assistant_id=assistant_id))
    if count >= MAX_ENDPOINTS:
        raise ValidationError(f"An assistant can have up to {MAX_ENDPOINTS} webhook endpoints.")
    secret = new_secret()
    endpoint = WebhookEndpoint(
        assistant_id=assistant_id,
        url=url,
        events=chosen,
        secret_encrypted=vault.encrypt(secret),
        active=True,
    )
    session.add(endpoint)
    await session.flush()
    return endpoint, secret


async def list_endpoints(session: AsyncSession, *, assistant_id: str) -> list[WebhookEndpoint]:
    rows = await session.scalars(
        select(WebhookEndpoint)
        .where(WebhookEndpoint.assistant_id == assistant_id)
        .order_by(WebhookEndpoint.id.desc())
    )
    return list(rows)


async def get_endpoint_or_404(
    session: AsyncSession, *, assistant_id: str, endpoint_id: str
) -> WebhookEndpoint:
    endpoint = await session.scalar(
        select(WebhookEndpoint).where(
            WebhookEndpoint.id == endpoint_id, WebhookEndpoint.assistant_id == assistant_id
        )
    )
    if endpoint is None:
        raise NotFound("Webhook not found.")
    return endpoint


async def delete_endpoint(session: AsyncSession, endpoint: WebhookEndpoint) -> None:
    await session.delete(endpoint)
    await session.flush()


async def deliveries_page(
    session: AsyncSession, *, endpoint_id: str, limit: int | None = None, cursor: str | None = None
) -> tuple[list[WebhookDelivery], bool, str | None]:
    rows, has_more, nxt = await paginate(
        session,
        select(WebhookDelivery).where(WebhookDelivery.endpoint_id == endpoint_id),
        id_column=WebhookDelivery.id,
        limit=limit,
        cursor=cursor,
    )
    return list(rows), has_more, nxt


async def redeliver(
    session: AsyncSession, *, endpoint: WebhookEndpoint, delivery_id: str
) -> WebhookDelivery:
    """Send a logged delivery again (a new attempt series with the same body)."""
    delivery = await session.scalar(
        select(WebhookDelivery).where(
            WebhookDelivery.id == delivery_id, WebhookDelivery.endpoint_id == endpoint.id
        )
    )
    if delivery is None:
        raise NotFound("Delivery not found.")
    copy = WebhookDelivery(
        endpoint_id=endpoint.id,
        event=delivery.event,
        body=delivery.body,
        status=DeliveryStatus.PENDING,
        attempts=0,
    )
    session.add(copy)
    await session.flush()
    await enqueue(session, DeliverWebhookJob(delivery_id=copy.id))
    return copy


# -- fan-out --------------------------------------------------------------------------------


def webhook_body(envelope: dict[str, Any]) -> str:
    """``{"event","timestamp","data"}`` as JSON.stringify writes it."""
    return js_stringify(
        {"event": envelope["event"], "timestamp": envelope["timestamp"], "data": envelope["data"]}
    )


def _cache_key(assistant_id: str) -> str:
    return f"webhook_endpoints:{assistant_id}"


def has_endpoints(assistant_id: Any) -> Any:
    """A SQL expression: whether the assistant has an active endpoint (for a caller that reads
    it with its other rows, then tells :func:`known_to_have_none`)."""
    return (
        select(WebhookEndpoint.id)
        .where(WebhookEndpoint.assistant_id == assistant_id, WebhookEndpoint.active.is_(True))
        .exists()
    )


def known_to_have_none(session: AsyncSession, assistant_id: str) -> None:
    """The assistant had no endpoint when the caller looked, moments ago in this unit of work:
    its events in the current transaction need not read them again."""
    tx_cache(session)[_cache_key(assistant_id)] = []


async def _subscriptions(session: AsyncSession, assistant_id: str) -> list[tuple[str, list[str]]]:
    """(endpoint id, events) of the assistant's active endpoints, read once per transaction."""
    cache = tx_cache(session)
    key = _cache_key(assistant_id)
    found: list[tuple[str, list[str]]] | None = cache.get(key)
    if found is None:
        # No autoflush: this read needs none of the unit of work's pending rows, and flushing
        # them here would split the inbound contact's UPDATE in two (one before, one after the
        # later consumers' changes).
        with session.no_autoflush:
            rows = await session.execute(
                select(WebhookEndpoint.id, WebhookEndpoint.events).where(
                    WebhookEndpoint.assistant_id == assistant_id,
                    WebhookEndpoint.active.is_(True),
                )
            )
        found = cache[key] = [(endpoint_id, list(events or [])) for endpoint_id, events in rows]
    return found


@on_event(events_types.WEBHOOK_EVENTS, name="developer_api.webhooks", inline=True)
async def fan_out(session: AsyncSession, envelope: dict[str, Any]) -> None:
    """In the event's own transaction: one delivery row and one ``webhooks.deliver`` job per
    subscribed endpoint (usually none: one small read per assistant and transaction). Workers
    make the attempts, as many at once as their concurrency allows."""
    event = str(envelope.get("event", ""))
    assistant_id = envelope.get("assistantId")
    if event not in EVENTS or not assistant_id:
        return
    body: str | None = None
    for endpoint_id, events in await _subscriptions(session, str(assistant_id)):
        if event not in events:
            continue
        body = body or webhook_body(envelope)
        delivery = WebhookDelivery(
            id=new_id(),
            endpoint_id=endpoint_id,
            event=event,
            body=body,
            status=DeliveryStatus.PENDING,
            attempts=0,
        )
        session.add(delivery)  # flushed with its job at the event's commit
        await enqueue(session, DeliverWebhookJob(delivery_id=delivery.id))


# -- delivery -------------------------------------------------------------------------------


async def post_signed(url: str, secret: str, body: str, timeout: float) -> tuple[int | None, str]:
    """POST once. Returns (status code or None, error text)."""
    raw = body.encode("utf-8")
    headers = {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        SIGNATURE_HEADER: sign(secret, raw),
        TIMESTAMP_HEADER: str(int(time.time())),
    }

    async def attempt() -> int:
        # Only the status matters; a small body is read (so the connection can be reused),
        # a large one is cut off.
        async with guarded_session(reach).post(
            url,
            data=raw,
            headers=headers,
            allow_redirects=False,
            timeout=aiohttp.ClientTimeout(total=timeout),
        ) as resp:
            await resp.content.read(MAX_RESPONSE_BYTES)
            return resp.status

    reach = _reach()
    try:
        # Names are checked by the guarded session at connect time (DNS rebinding).
        urlguard.check_literal(url, field="url", reach=reach)
        code = await asyncio.wait_for(attempt(), timeout)  # 5 s in total, not per phase
    except urlguard.UnsafeUrlError as exc:
        return None, exc.message
    except TimeoutError:
        return None, f"no answer within {timeout:g} s"
    except aiohttp.ClientError as exc:
        return None, f"{type(exc).__name__}: {exc}"[:300]
    if 200 <= code < 300:
        return code, ""
    return code, f"HTTP {code}"


@lru_cache(maxsize=1024)
def _secret(ciphertext: str) -> str:
    # A ciphertext always decrypts to the same secret; every delivery needs it.
    return vault.decrypt(ciphertext)


async def deliver(session: AsyncSession, delivery_id: str) -> None:
    """One attempt (the ``webhooks.deliver`` job). Retries are new jobs on our own schedule
    (configurable, see config)."""
    delivery = await session.get(WebhookDelivery, delivery_id)
    if delivery is None or delivery.status in (DeliveryStatus.DELIVERED, DeliveryStatus.FAILED):
        return
    endpoint = await session.get(WebhookEndpoint, delivery.endpoint_id)
    if endpoint is None:
        return
    settings = get_api_settings()
    secret = _secret(endpoint.secret_encrypted)
    url, body = endpoint.url, delivery.body

    async def attempt() -> tuple[int | None, str, int]:
        started = time.perf_counter()
        code, error = await post_signed(url, secret, body, settings.webhook_timeout_seconds)
        return code, error, int((time.perf_counter() - started) * 1000)

    code, error, latency = await commit_then(session, attempt)  # no locks held meanwhile

    now = utcnow()
    delivery.attempts = (delivery.attempts or 0) + 1
    delivery.response_code = code
    delivery.latency_ms = latency
    delivery.last_attempt_at = now
    if not error:
        delivery.status = DeliveryStatus.DELIVERED
        delivery.delivered_at = now
        delivery.last_error = None
        delivery.next_attempt_at = None
        return
    delivery.last_error = error[:300]
    delays = settings.retry_delays
    retry_index = delivery.attempts - 1  # 0 after the first attempt
    if retry_index < len(delays):
        delay = delays[retry_index]
        delivery.status = DeliveryStatus.RETRYING
        delivery.next_attempt_at = now + timedelta(seconds=delay)
        await enqueue(session, DeliverWebhookJob(delivery_id=delivery.id), delay=delay)
    else:
        delivery.status = DeliveryStatus.FAILED
        delivery.next_attempt_at = None
        log.info("webhook delivery %s failed after %d attempts", delivery.id, delivery.attempts)
