"""Helpers for WhatsApp tests: a connected assistant, real-format signed Meta payloads."""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import time
from typing import Any

from repdesk.assistants.models import Assistant
from repdesk.channels.whatsapp import service as wa
from repdesk.channels.whatsapp.models import WhatsAppConnection
from repdesk.db.engine import Database
from tests.factories import create_account, create_assistant
from tests.fakes.graph import FakeGraph

APP_SECRET = "test-app-secret-0123456789"
CUSTOMER = "2348031234567"
_seq = itertools.count(1)


async def connected_assistant(
    db: Database,
    graph: FakeGraph,
    *,
    app_secret: str | None = APP_SECRET,
    email: str = "owner@shop.test",
) -> tuple[Assistant, WhatsAppConnection]:
    _, ws = await create_account(db, email=email)
    assistant = await create_assistant(db, workspace_id=ws.id)
    async with db.transaction() as session:
        a = await session.get(Assistant, assistant.id)
        assert a is not None
        conn = await wa.connect_byok(
            session,
            a,
            access_token=graph.access_token,
            phone_number_id=graph.phone_number_id,
            business_account_id=graph.business_account_id,
            phone_number=graph.e164,
            app_secret=app_secret,
        )
        return a, conn


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
) -> dict[str, Any]:
    value: dict[str, Any] = {
        "messaging_product": "whatsapp",
        "metadata": {
            "display_phone_number": graph.e164.lstrip("+"),
            "phone_number_id": graph.phone_number_id,
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
            {"id": graph.business_account_id, "changes": [{"value": value, "field": "messages"}]}
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
