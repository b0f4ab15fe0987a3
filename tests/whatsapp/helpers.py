"""Helpers for WhatsApp tests: a connected assistant, real-format signed Meta payloads."""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import time
from dataclasses import dataclass
from typing import Any

from sqlalchemy import update

from repdesk.assistants.models import Assistant
from repdesk.channels.whatsapp import service as wa
from repdesk.channels.whatsapp import webhook
from repdesk.channels.whatsapp.models import WhatsAppConnection
from repdesk.db.engine import Database
from tests.factories import create_account, create_assistant
from tests.fakes.graph import FakeGraph

APP_SECRET = "test-app-secret-0123456789"
CUSTOMER = "2348031234567"
_seq = itertools.count(1)


@dataclass(frozen=True)
class Number:
    """A WhatsApp number the fake Graph API knows, with the token that may use it."""

    phone_number_id: str
    e164: str
    access_token: str
    business_account_id: str


def another_number(
    graph: FakeGraph,
    *,
    phone_number_id: str = "106540352249999",
    e164: str = "+15550789999",
    business_account_id: str | None = None,
) -> Number:
    """A second number (another tenant's) in the fake Graph API, under its own token."""
    token = f"EAAG-token-{phone_number_id}"
    with graph.lock:
        graph.tokens[token] = {phone_number_id}
        graph.numbers[phone_number_id] = graph._number(phone_number_id, e164)
    return Number(phone_number_id, e164, token, business_account_id or f"9{phone_number_id[1:]}")


async def connected_assistant(
    db: Database,
    graph: FakeGraph,
    *,
    app_secret: str | None = APP_SECRET,
    email: str = "owner@shop.test",
    number: Number | None = None,
) -> tuple[Assistant, WhatsAppConnection]:
    _, ws = await create_account(db, email=email)
    assistant = await create_assistant(db, workspace_id=ws.id)
    number = number or Number(
        graph.phone_number_id, graph.e164, graph.access_token, graph.business_account_id
    )
    async with db.transaction() as session:
        a = await session.get(Assistant, assistant.id)
        assert a is not None
        conn = await wa.connect_byok(
            session,
            a,
            access_token=number.access_token,
            phone_number_id=number.phone_number_id,
            business_account_id=number.business_account_id,
            phone_number=number.e164,
            app_secret=app_secret,
        )
        return a, conn


async def embedded_assistant(
    db: Database, graph: FakeGraph, *, email: str = "owner@shop.test"
) -> tuple[Assistant, WhatsAppConnection]:
    """An assistant whose number was connected through Embedded Signup (the platform app)."""
    _, ws = await create_account(db, email=email)
    assistant = await create_assistant(db, workspace_id=ws.id)
    async with db.transaction() as session:
        a = await session.get(Assistant, assistant.id)
        assert a is not None
        conn = await wa.connect_embedded(
            session,
            a,
            code=graph.signup_code,
            business_account_id=graph.business_account_id,
            phone_number_id=graph.phone_number_id,
        )
        return a, conn


async def forget_app_secret(db: Database) -> None:
    """Make the connections what one saved before the App Secret was required looks like."""
    async with db.transaction() as session:
        await session.execute(update(WhatsAppConnection).values(app_secret_enc=None))
    webhook._targets.clear()  # the webhook's 5-second cache of connections


def sign(body: bytes, secret: str = APP_SECRET) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def wamid() -> str:
    return f"wamid.TEST{next(_seq):08d}{int(time.time() * 1000)}"


def envelope(
    graph: FakeGraph,
    *,
    messages: list[dict[str, Any]] | None = None,
    statuses: list[dict[str, Any]] | None = None,
    name: str = "Ade Bola",
    wa_id: str = CUSTOMER,
    number: Number | None = None,
) -> dict[str, Any]:
    value: dict[str, Any] = {
        "messaging_product": "whatsapp",
        "metadata": {
            "display_phone_number": (number.e164 if number else graph.e164).lstrip("+"),
            "phone_number_id": number.phone_number_id if number else graph.phone_number_id,
        },
    }
    if messages is not None:
        value["contacts"] = [{"profile": {"name": name}, "wa_id": wa_id}]
        value["messages"] = messages
    if statuses is not None:
        value["statuses"] = statuses
    return {
        "object": "whatsapp_business_account",
        "entry": [
            {
                "id": number.business_account_id if number else graph.business_account_id,
                "changes": [{"value": value, "field": "messages"}],
            }
        ],
    }


def message(
    type_: str,
    obj: Any = None,
    *,
    id_: str | None = None,
    ts: int | None = None,
    from_: str = CUSTOMER,
    **extra: Any,
) -> dict[str, Any]:
    m: dict[str, Any] = {
        "from": from_,
        "id": id_ or wamid(),
        "timestamp": str(ts or int(time.time())),
        "type": type_,
    }
    if obj is not None:
        m[type_] = obj
    m.update(extra)
    return m


def text(body: str, **kw: Any) -> dict[str, Any]:
    return message("text", {"body": body}, **kw)


def dumps(payload: dict[str, Any]) -> bytes:
    return json.dumps(payload, indent=1).encode()
