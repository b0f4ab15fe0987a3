"""The management API of contacts: list with filters, search, sort and cursor; read, change
and delete; bulk tags; attribute definitions; settings; other workspaces' contacts are 404."""

from __future__ import annotations

import httpx
from sqlalchemy import select

from repdesk.contacts.models import ContactTag
from repdesk.db.engine import Database
from tests.contacts.helpers import contact, inbound
from tests.factories import create_account, login


async def _three(db: Database, assistant_id: str) -> list[str]:
    return [
        await inbound(db, assistant_id, phone="+2348030000001", name="Ada", text="thanks 👍"),
        await inbound(db, assistant_id, phone="+2348030000002", name="Bola", text="e no good 😡"),
        await inbound(db, assistant_id, phone="+2348030000003", name="Chi"),
    ]


async def test_list_filters_search_sort_and_cursor(
    client: httpx.AsyncClient, db: Database, assistant_id: str
) -> None:
    a, b, c = await _three(db, assistant_id)
    base = f"/api/assistants/{assistant_id}/contacts"
    r = await client.patch(f"/api/contacts/{a}", json={"tags": ["vip", "lagos"]})
    assert r.status_code == 200, r.text
    assert r.json()["tags"] == ["vip", "lagos"]
    await client.patch(f"/api/contacts/{b}", json={"tags": ["vip"], "optedOut": True})

    names = lambda r: [x["name"] for x in r.json()["data"]]  # noqa: E731
    assert names(await client.get(base, params={"sort": "name"})) == ["Ada", "Bola", "Chi"]
    assert names(await client.get(base, params={"tag": "vip", "sort": "name"})) == ["Ada", "Bola"]
    both = await client.get(base, params=[("tag", "vip"), ("tag", "lagos")])
    assert names(both) == ["Ada"]
    assert names(await client.get(base, params={"optedOut": "true"})) == ["Bola"]
    assert names(await client.get(base, params={"q": "chi"})) == ["Chi"]
    assert names(await client.get(base, params={"q": "0000002"})) == ["Bola"]
    assert names(await client.get(base, params={"sentiment": "negative"})) == ["Bola"]
    assert names(await client.get(base, params={"purchaseBehaviour": "never", "sort": "name"})) == [
        "Ada",
        "Bola",
        "Chi",
    ]

    first = await client.get(base, params={"sort": "name", "limit": 2})
    body = first.json()
    assert names(first) == ["Ada", "Bola"] and body["hasMore"] is True
    second = await client.get(
        base, params={"sort": "name", "limit": 2, "cursor": body["nextCursor"]}
    )
    assert names(second) == ["Chi"] and second.json()["hasMore"] is False
    one = (await client.get(f"/api/contacts/{c}")).json()
    assert one["messageCount"] == 1 and one["conversationsCount"] == 1
    assert one["purchaseBehaviour"] == "never" and one["engagementScore"] > 0


async def test_bad_list_parameters_are_400(client: httpx.AsyncClient, assistant_id: str) -> None:
    base = f"/api/assistants/{assistant_id}/contacts"
    for params in (
        {"sort": "password"},
        {"cursor": "not-a-cursor"},
        {"limit": "1000"},
        {"purchaseBehaviour": "sometimes"},
        {"minEngagement": "-1"},
    ):
        r = await client.get(base, params=params)
        assert r.status_code == 400, (params, r.text)
        assert r.json()["code"] == "VALIDATION_ERROR"


async def test_patch_validates_and_changes_nothing_on_error(
    client: httpx.AsyncClient, db: Database, assistant_id: str
) -> None:
    cid = await inbound(db, assistant_id, phone="+2348030000009", name="Ada")
    r = await client.post(
        f"/api/assistants/{assistant_id}/attributes",
        json={"key": "city", "label": "City", "type": "choice", "choices": ["Lagos", "Abuja"]},
    )
    assert r.status_code == 201, r.text
    await client.post(
        f"/api/assistants/{assistant_id}/attributes",
        json={"key": "age", "label": "Age", "type": "number"},
    )
    listed = await client.get(f"/api/assistants/{assistant_id}/attributes")
    assert [d["key"] for d in listed.json()] == ["age", "city"]

    for body in (
        {"email": "not-an-email", "name": "Changed"},
        {"attributes": {"city": "Paris"}, "name": "Changed"},
        {"attributes": {"age": "old"}},
        {"tags": [""]},
        {"unknown": 1},
    ):
        r = await client.patch(f"/api/contacts/{cid}", json=body)
        assert r.status_code == 400, (body, r.text)
        assert r.json()["code"] == "VALIDATION_ERROR"
    assert (await contact(db, cid)).name == "Ada"

    ok = await client.patch(
        f"/api/contacts/{cid}",
        json={"email": "ada@shop.test", "attributes": {"city": "Lagos", "age": "31", "note": "x"}},
    )
    assert ok.status_code == 200, ok.text
    assert ok.json()["attributes"] == {"city": "Lagos", "age": 31, "note": "x"}
    assert ok.json()["email"] == "ada@shop.test"
    dup = await client.post(
        f"/api/assistants/{assistant_id}/attributes",
        json={"key": "city", "label": "Town", "type": "text"},
    )
    assert dup.status_code == 409
    bad = await client.post(
        f"/api/assistants/{assistant_id}/attributes",
        json={"key": "tier", "label": "Tier", "type": "choice", "choices": []},
    )
    assert bad.status_code == 400


async def test_bulk_tag_and_untag_write_contact_tags(
    client: httpx.AsyncClient, db: Database, assistant_id: str
) -> None:
    a, b, c = await _three(db, assistant_id)
    url = f"/api/assistants/{assistant_id}/contacts/tags"
    r = await client.post(url, json={"contactIds": [a, b], "tag": "promo"})
    assert r.json() == {"changed": 2}
    assert (await client.post(url, json={"contactIds": [a, b, c], "tag": "promo"})).json() == {
        "changed": 1
    }
    assert (
        await client.post(url, json={"contactIds": [a], "tag": "promo", "remove": True})
    ).json() == {"changed": 1}
    async with db.transaction() as session:
        rows = set(
            await session.scalars(select(ContactTag.contact_id).where(ContactTag.tag == "promo"))
        )
    assert rows == {b, c}


async def test_other_workspaces_contacts_are_404(
    client: httpx.AsyncClient, db: Database, assistant_id: str
) -> None:
    cid = await inbound(db, assistant_id, phone="+2348030000011", name="Ada")
    await create_account(db, email="other@shop.test")
    await login(client, email="other@shop.test", password="correct horse battery")
    assert (await client.get(f"/api/contacts/{cid}")).status_code == 404
    assert (await client.patch(f"/api/contacts/{cid}", json={"name": "x"})).status_code == 404
    assert (await client.delete(f"/api/contacts/{cid}")).status_code == 404
    assert (await client.get(f"/api/assistants/{assistant_id}/contacts")).status_code == 404
    assert (await contact(db, cid)).name == "Ada"


async def test_delete_contact(client: httpx.AsyncClient, db: Database, assistant_id: str) -> None:
    cid = await inbound(db, assistant_id, phone="+2348030000012")
    assert (await client.delete(f"/api/contacts/{cid}")).status_code == 204
    assert (await client.get(f"/api/contacts/{cid}")).status_code == 404


async def test_settings_roundtrip_and_validation(
    client: httpx.AsyncClient, assistant_id: str
) -> None:
    url = f"/api/assistants/{assistant_id}/contacts/settings"
    assert "stop" in (await client.get(url)).json()["stopKeywords"]
    body = {
        "stopKeywords": ["STOP", "Comot"],
        "startKeywords": ["start"],
        "optOutReply": "Bye",
        "optInReply": "Welcome back",
        "lapsedDays": 30,
    }
    r = await client.put(url, json=body)
    assert r.status_code == 200 and r.json()["stopKeywords"] == ["stop", "comot"]
    clash = await client.put(url, json={**body, "startKeywords": ["stop"]})
    assert clash.status_code == 400 and clash.json()["code"] == "VALIDATION_ERROR"
    assert (await client.get(url)).json()["lapsedDays"] == 30


async def test_contacts_api_is_in_openapi(client: httpx.AsyncClient) -> None:
    paths = (await client.get("/api/openapi.json")).json()["paths"]
    for path in (
        "/api/assistants/{assistant_id}/contacts",
        "/api/contacts/{contact_id}",
        "/api/assistants/{assistant_id}/contacts/import",
        "/api/imports/{import_id}",
        "/api/assistants/{assistant_id}/contacts/export.csv",
        "/api/assistants/{assistant_id}/attributes",
    ):
        assert path in paths, path
