"""Contacts, conversations and messages over /v1: shapes, pagination, filters, isolation."""

from __future__ import annotations

from datetime import timedelta

import httpx
import pytest

from repdesk.db.engine import Database
from repdesk.developer_api.config import reset_api_settings
from repdesk.kit.time import isoformat, utcnow
from tests.developer_api.conftest import Tenant, customer_writes, make_tenant

PHONE = "+2348012345678"


async def test_contacts_crud(client: httpx.AsyncClient, tenant: Tenant) -> None:
    h = tenant.headers()
    r = await client.post(
        "/v1/contacts",
        headers=h,
        json={
            "phone": "+234 801 234 5678",
            "name": "Ade",
            "tags": ["vip", "lagos"],
            "attributes": {"plan": "gold", "orders": 3, "spent": 125000.5},
        },
    )
    assert r.status_code == 201, r.text
    c = r.json()
    assert c["phone"] == PHONE and c["name"] == "Ade" and c["tags"] == ["vip", "lagos"]
    assert c["attributes"] == {"plan": "gold", "orders": 3, "spent": 125000.5}
    assert set(c) >= {"id", "phone", "name", "tags", "attributes", "createdAt", "messageCount"}

    r = await client.post("/v1/contacts", headers=h, json={"phone": PHONE})
    assert r.status_code == 409 and r.json()["code"] == "CONFLICT"

    r = await client.patch(f"/v1/contacts/{c['id']}", headers=h, json={"tags": ["vip"]})
    assert r.status_code == 200 and r.json()["tags"] == ["vip"] and r.json()["name"] == "Ade"
    r = await client.patch(f"/v1/contacts/{c['id']}", headers=h, json={"name": None})
    assert r.json()["name"] is None and r.json()["tags"] == ["vip"]

    other = (await client.post("/v1/contacts", headers=h, json={"phone": "+2348012345679"})).json()
    r = await client.patch(f"/v1/contacts/{other['id']}", headers=h, json={"phone": PHONE})
    assert r.status_code == 409 and r.json()["code"] == "CONFLICT"
    r = await client.patch(f"/v1/contacts/{other['id']}", headers=h, json={"phone": "0801"})
    assert r.status_code == 400 and r.json()["code"] == "INVALID_PHONE_NUMBER"

    assert (await client.get(f"/v1/contacts/{c['id']}", headers=h)).json()["phone"] == PHONE
    r = await client.get("/v1/contacts", headers=h, params={"tag": "vip"})
    assert [x["id"] for x in r.json()["data"]] == [c["id"]]
    r = await client.get("/v1/contacts", headers=h, params={"phone": "+2348012345679"})
    assert [x["id"] for x in r.json()["data"]] == [other["id"]]

    assert (await client.delete(f"/v1/contacts/{c['id']}", headers=h)).status_code == 204
    for method in ("GET", "PATCH", "DELETE"):
        r = await client.request(
            method, f"/v1/contacts/{c['id']}", headers=h, json={} if method == "PATCH" else None
        )
        assert r.status_code == 404 and r.json()["code"] == "NOT_FOUND", method


async def test_contact_validation(client: httpx.AsyncClient, tenant: Tenant) -> None:
    h = tenant.headers()
    for body, code in [
        ({"phone": "08012345678"}, "INVALID_PHONE_NUMBER"),
        ({"phone": "+1"}, "INVALID_PHONE_NUMBER"),
        ({"name": "no phone"}, "VALIDATION_ERROR"),
        ({"phone": PHONE, "tags": "vip"}, "VALIDATION_ERROR"),
        ({"phone": PHONE, "tags": [""]}, "VALIDATION_ERROR"),
        ({"phone": PHONE, "attributes": ["x"]}, "VALIDATION_ERROR"),
        ({"phone": PHONE, "unknown": 1}, "VALIDATION_ERROR"),
    ]:
        r = await client.post("/v1/contacts", headers=h, json=body)
        assert r.status_code == 400 and r.json()["code"] == code, body
    assert (await client.get("/v1/contacts", headers=h)).json()["data"] == []


async def test_pagination_limit_and_cursor(
    client: httpx.AsyncClient, tenant: Tenant, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("REPDESK_API_RATE_BURST", "100/second")  # 25 creates in a row
    reset_api_settings()
    h = tenant.headers()
    for i in range(25):
        r = await client.post("/v1/contacts", headers=h, json={"phone": f"+23480100000{i:02d}"})
        assert r.status_code == 201
    first = (await client.get("/v1/contacts", headers=h)).json()
    assert len(first["data"]) == 20 and first["hasMore"] is True and first["nextCursor"]
    second = (
        await client.get("/v1/contacts", headers=h, params={"cursor": first["nextCursor"]})
    ).json()
    assert len(second["data"]) == 5 and second["hasMore"] is False and second["nextCursor"] is None
    ids = [c["id"] for c in first["data"] + second["data"]]
    assert len(set(ids)) == 25 and ids == sorted(ids, reverse=True)  # newest first
    small = (await client.get("/v1/contacts", headers=h, params={"limit": 100})).json()
    assert len(small["data"]) == 25 and small["hasMore"] is False
    for params in ({"limit": 0}, {"limit": 101}, {"limit": "ten"}, {"cursor": "../../etc"}):
        r = await client.get("/v1/contacts", headers=h, params=params)
        assert r.status_code == 400 and r.json()["code"] == "VALIDATION_ERROR", params


async def test_conversations_as_the_seed_shows_and_close(
    client: httpx.AsyncClient, db: Database, tenant: Tenant
) -> None:
    h = tenant.headers()
    inbound = await customer_writes(db, tenant.assistant, phone=PHONE, text="Hi", name="Ade")
    await customer_writes(
        db,
        tenant.assistant,
        phone="+2348012340000",
        text="old",
        sent_at=utcnow() - timedelta(days=2),
    )
    body = (await client.get("/v1/conversations", headers=h)).json()
    assert set(body) == {"data", "hasMore", "nextCursor"}
    conv = next(c for c in body["data"] if c["customerPhone"] == PHONE)
    assert conv["id"] == inbound.conversation.id and conv["customerName"] == "Ade"
    assert conv["messageCount"] == 1 and conv["serviceWindowOpen"] is True
    assert conv["lastMessageAt"].endswith("Z") and conv["status"] == "open"
    assert conv["automationEnabled"] is True
    stale = next(c for c in body["data"] if c["customerPhone"] == "+2348012340000")
    assert stale["serviceWindowOpen"] is False

    r = await client.post(f"/v1/conversations/{conv['id']}/close", headers=h)
    assert r.status_code == 200 and r.json()["status"] == "closed"
    closed = (await client.get("/v1/conversations", headers=h, params={"status": "closed"})).json()
    assert [c["id"] for c in closed["data"]] == [conv["id"]]
    msgs = (await client.get(f"/v1/conversations/{conv['id']}/messages", headers=h)).json()
    assert [m["content"] for m in msgs["data"]] == ["Hi"]
    assert msgs["data"][0]["from"] == PHONE and msgs["data"][0]["direction"] == "in"


async def test_messages_filters(client: httpx.AsyncClient, db: Database, tenant: Tenant) -> None:
    h = tenant.headers()
    a = await customer_writes(db, tenant.assistant, phone=PHONE, text="one")
    await customer_writes(db, tenant.assistant, phone="+2348012340000", text="two")
    allm = (await client.get("/v1/messages", headers=h)).json()["data"]
    assert [m["content"] for m in allm] == ["two", "one"]
    by_conv = (
        await client.get("/v1/messages", headers=h, params={"conversationId": a.conversation.id})
    ).json()["data"]
    assert [m["content"] for m in by_conv] == ["one"]
    by_phone = (await client.get("/v1/messages", headers=h, params={"phone": PHONE})).json()["data"]
    assert [m["content"] for m in by_phone] == ["one"]
    assert (await client.get("/v1/messages", headers=h, params={"direction": "out"})).json()[
        "data"
    ] == []
    assert (
        len(
            (await client.get("/v1/messages", headers=h, params={"status": "received"})).json()[
                "data"
            ]
        )
        == 2
    )
    future = isoformat(utcnow() + timedelta(hours=1))
    assert (await client.get("/v1/messages", headers=h, params={"since": future})).json()[
        "data"
    ] == []
    past = isoformat(utcnow() - timedelta(hours=1))
    assert (
        len(
            (
                await client.get("/v1/messages", headers=h, params={"since": past, "until": future})
            ).json()["data"]
        )
        == 2
    )
    r = await client.get("/v1/messages", headers=h, params={"since": future, "until": past})
    assert r.status_code == 400 and r.json()["code"] == "VALIDATION_ERROR"
    r = await client.get("/v1/messages", headers=h, params={"direction": "sideways"})
    assert r.status_code == 400 and r.json()["code"] == "VALIDATION_ERROR"
    r = await client.get(f"/v1/messages/{a.message.id}", headers=h)
    assert r.status_code == 200 and r.json()["conversationId"] == a.conversation.id


async def test_another_assistants_ids_answer_404(
    client: httpx.AsyncClient, db: Database, tenant: Tenant
) -> None:
    other = await make_tenant(db, email="rival@shop.test", business="Rival")
    theirs = await customer_writes(db, other.assistant, phone=PHONE, text="private")
    contact = (
        await client.post("/v1/contacts", headers=other.headers(), json={"phone": "+2348012349999"})
    ).json()
    hook = (
        await client.post(
            "/v1/webhooks", headers=other.headers(), json={"url": "http://127.0.0.1:9/x"}
        )
    ).json()
    h = tenant.headers()
    for method, path in [
        ("GET", f"/v1/conversations/{theirs.conversation.id}"),
        ("POST", f"/v1/conversations/{theirs.conversation.id}/close"),
        ("GET", f"/v1/conversations/{theirs.conversation.id}/messages"),
        ("GET", f"/v1/messages/{theirs.message.id}"),
        ("GET", f"/v1/contacts/{contact['id']}"),
        ("PATCH", f"/v1/contacts/{contact['id']}"),
        ("DELETE", f"/v1/contacts/{contact['id']}"),
        ("DELETE", f"/v1/webhooks/{hook['id']}"),
        ("GET", "/v1/broadcast/" + theirs.message.id),
    ]:
        r = await client.request(method, path, headers=h, json={} if method == "PATCH" else None)
        assert r.status_code == 404, (method, path, r.text)
        assert r.json()["code"] == "NOT_FOUND"
    for path in ("/v1/conversations", "/v1/messages", "/v1/contacts", "/v1/webhooks"):
        assert (await client.get(path, headers=h)).json()["data"] == [], path
    # and theirs are untouched
    r = await client.get(f"/v1/conversations/{theirs.conversation.id}", headers=other.headers())
    assert r.json()["status"] == "open"


async def test_unknown_routes_and_methods_keep_the_error_shape(
    client: httpx.AsyncClient, tenant: Tenant
) -> None:
    r = await client.get("/v1/nothing-here", headers=tenant.headers())
    assert r.status_code == 404 and set(r.json()) == {"code", "message", "docs"}
    assert r.headers["X-RateLimit-Limit"]
    r = await client.put("/v1/messages/send", headers=tenant.headers())
    assert r.status_code == 405 and r.json()["code"] == "METHOD_NOT_ALLOWED"


async def test_text_no_database_can_store_is_a_400_that_changes_nothing(
    client: httpx.AsyncClient, db: Database, tenant: Tenant
) -> None:
    """NUL characters and unpaired surrogates (easy to write in JSON: \\u0000, \\ud800) are
    refused wherever they arrive: body fields, JSON attributes and their keys, query strings."""
    await customer_writes(db, tenant.assistant, phone="+2348031234567", text="hi")
    base = {"phone": "+2348012345678"}
    bodies = [
        '{"phone": "+2348012345678", "name": "Ada\\u0000"}',
        '{"phone": "+2348012345678", "tags": ["vip\\u0000"]}',
        '{"phone": "+2348012345678", "attributes": {"note": "a\\u0000b"}}',
        '{"phone": "+2348012345678", "attributes": {"k\\u0000": 1}}',
        '{"phone": "+2348012345678", "attributes": {"note": "\\ud800"}}',
        '{"phone": "+2348012345678", "name": "\\udfff lone"}',
    ]
    headers = {**tenant.headers(), "Content-Type": "application/json"}
    for body in bodies:
        r = await client.post("/v1/contacts", content=body.encode(), headers=headers)
        assert r.status_code == 400, (body, r.status_code, r.text)
        assert r.json()["code"] == "VALIDATION_ERROR", body
    listed = (await client.get("/v1/contacts", headers=tenant.headers())).json()["data"]
    assert [c["phone"] for c in listed] == ["+2348031234567"]  # none of them was stored
    # In a query string too.
    r = await client.get(
        "/v1/messages", params={"conversationId": "a\x00"}, headers=tenant.headers()
    )
    assert r.status_code == 400 and r.json()["code"] == "VALIDATION_ERROR"
    # Valid text in the same places is kept as sent: emoji (a surrogate pair in JSON), accents.
    ok = {**base, "name": "Adé 👋", "tags": ["vip"], "attributes": {"note": "\\u0000 as text"}}
    r = await client.post("/v1/contacts", json=ok, headers=tenant.headers())
    assert r.status_code == 201, r.text
    got = (await client.get(f"/v1/contacts/{r.json()['id']}", headers=tenant.headers())).json()
    assert (got["name"], got["attributes"]) == ("Adé 👋", {"note": "\\u0000 as text"})
