"""The segments API end to end: preview, save, list with counts, members, edit, delete, bad
filters refused by condition, tenants kept apart, and membership that moves with the clock."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx
from sqlalchemy import func, select

from repdesk.catalog.models import Product
from repdesk.contacts.models import Contact
from repdesk.db.engine import Database
from repdesk.segments import service
from repdesk.segments.models import Segment
from repdesk.segments.schemas import INACTIVE_2_WEEKS, SPENT_OVER_50K
from tests.factories import create_account, create_assistant, login
from tests.segments.factories import NOW, ago, contact, seed_book


async def _book(client: httpx.AsyncClient, db: Database) -> tuple[str, dict[str, str]]:
    _u, ws = await create_account(db)
    assistant = await create_assistant(db, workspace_id=ws.id)
    _u2, ws2 = await create_account(db, email="rival@shop.test")
    other = await create_assistant(db, workspace_id=ws2.id)
    ids = await seed_book(db, assistant, other)
    await login(client, email="owner@shop.test", password="correct horse battery")
    return assistant.id, ids


async def test_preview_counts_and_samples_the_seeds_examples(
    client: httpx.AsyncClient, db: Database
) -> None:
    aid, ids = await _book(client, db)
    url = f"/api/assistants/{aid}/segments/preview"
    r = await client.post(url, json={"filter": SPENT_OVER_50K})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["count"] == 1
    assert [s["id"] for s in body["sample"]] == [ids["ada"]]
    ada = body["sample"][0]
    assert ada["tags"] == ["lagos", "vip"] and ada["totalSpent"] == 9_000_000
    assert ada["optedOut"] is False and ada["lastMessageAt"].endswith("Z")
    r = await client.post(url, json={"filter": {"all": []}})
    assert r.json()["count"] == 4  # every contact of this assistant, none of the other's
    assert len(r.json()["sample"]) == 4


async def test_save_list_read_members_edit_and_delete(
    client: httpx.AsyncClient, db: Database
) -> None:
    aid, ids = await _book(client, db)
    lagos = {"all": [{"field": "tags", "op": "has", "value": "lagos"}]}
    r = await client.post(
        f"/api/assistants/{aid}/segments", json={"name": "Lagos", "filter": lagos}
    )
    assert r.status_code == 201, r.text
    seg = r.json()
    assert seg["name"] == "Lagos" and seg["count"] == 2 and seg["assistantId"] == aid
    assert seg["filter"] == {"all": [{"field": "tags", "op": "has", "value": "lagos"}]}
    r = await client.post(
        f"/api/assistants/{aid}/segments", json={"name": "Big spenders", "filter": SPENT_OVER_50K}
    )
    assert r.status_code == 201
    big = r.json()["id"]
    dup = await client.post(
        f"/api/assistants/{aid}/segments", json={"name": "Lagos", "filter": lagos}
    )
    assert dup.status_code == 409 and dup.json()["code"] == "CONFLICT"

    listed = (await client.get(f"/api/assistants/{aid}/segments")).json()
    assert [(s["name"], s["count"]) for s in listed["data"]] == [("Big spenders", 1), ("Lagos", 2)]

    members = (await client.get(f"/api/segments/{seg['id']}/contacts?limit=1")).json()
    assert len(members["data"]) == 1 and members["hasMore"] is True
    rest = await client.get(
        f"/api/segments/{seg['id']}/contacts?limit=1&cursor={members['nextCursor']}"
    )
    got = {members["data"][0]["id"], rest.json()["data"][0]["id"]}
    assert got == {ids["ada"], ids["bola"]} and rest.json()["hasMore"] is False

    vip = {"all": [{"field": "tags", "op": "has", "value": "vip"}]}
    r = await client.patch(f"/api/segments/{seg['id']}", json={"name": "VIPs", "filter": vip})
    assert r.status_code == 200 and r.json()["name"] == "VIPs" and r.json()["count"] == 1
    assert (await client.get(f"/api/segments/{seg['id']}")).json()["count"] == 1

    assert (await client.delete(f"/api/segments/{big}")).status_code == 204
    assert (await client.get(f"/api/segments/{big}")).status_code == 404
    async with db.session() as s:
        assert await s.scalar(select(func.count()).select_from(Segment)) == 1


async def test_a_segment_in_use_refuses_deletion_and_names_the_user(
    client: httpx.AsyncClient, db: Database, monkeypatch: Any
) -> None:
    aid, _ids = await _book(client, db)
    r = await client.post(
        f"/api/assistants/{aid}/segments", json={"name": "Big", "filter": SPENT_OVER_50K}
    )
    sid = r.json()["id"]

    async def used(session: Any, segment: Segment) -> list[Any]:
        return [service.SegmentReference(kind="broadcast", id="b1", name="June sale")]

    monkeypatch.setattr(service, "references", used)
    r = await client.delete(f"/api/segments/{sid}")
    assert r.status_code == 409 and r.json()["code"] == "SEGMENT_IN_USE"
    assert r.json()["references"] == [{"kind": "broadcast", "id": "b1", "name": "June sale"}]
    assert "June sale" in r.json()["message"]
    page = await client.get(f"/assistants/{aid}/segments")
    assert "Used by broadcast “June sale”" in page.text
    assert (await client.get(f"/api/segments/{sid}")).status_code == 200


BAD: list[tuple[dict[str, Any], str]] = [
    ({"all": [{"field": "shoeSize", "op": "eq", "value": 42}]}, "all[0]: unknown field 'shoeSize'"),
    (
        {"all": [{"field": "lastMessageAt", "op": "gt", "value": 1}]},
        "all[0] (lastMessageAt): operator 'gt' does not apply; use before, after",
    ),
    (
        {"all": [{"field": "optedOut", "op": "gt", "value": True}]},
        "all[0] (optedOut): operator 'gt' does not apply",
    ),
    (
        {
            "all": [
                {
                    "any": [
                        {"field": "tags", "op": "has", "value": "a"},
                        {"field": "totalSpent", "op": "gt", "value": 5000},
                    ]
                }
            ]
        },
        "all[0].any[1] (totalSpent): value",
    ),  # fmt: skip
    (
        {"all": [{"field": "sentiment", "op": "eq", "value": "happy"}]},
        "all[0] (sentiment): Value error, 'happy' is not one of positive, neutral, negative",
    ),
    (
        {"all": [{"field": "lastMessageAt", "op": "before", "value": {"ago": {"days": 0}}}]},
        "all[0] (lastMessageAt): value.ago",
    ),
    (
        {"all": [{"field": "totalSpent", "op": "gt", "value": {"amount": -5, "currency": "NGN"}}]},
        "all[0] (totalSpent): value.amount",
    ),
    ({"all": [{"field": "tags", "op": "has"}]}, "all[0] (tags): value"),
    ({"all": [{"field": "tags", "value": "x"}]}, "all[0] (tags): op is required"),
    ({"all": [7]}, "all[0]: a condition {field, op, value} or a group {any: [...]}"),
    ({"all": [{"any": []}]}, "all[0]: any: List should have at least 1 item"),
    ({"every": []}, "every: Extra inputs are not permitted"),
    (
        {"all": [{"field": "attributes.city", "op": "gt", "value": "Lagos"}]},
        "all[0] (attributes.city): operator 'gt' does not apply to a text attribute",
    ),
    (
        {"all": [{"field": "attributes.a b", "op": "eq", "value": 1}]},
        "all[0] (attributes.a b): field: String should match pattern",
    ),
]


async def test_bad_filters_are_refused_naming_the_condition(
    client: httpx.AsyncClient, db: Database
) -> None:
    aid, _ids = await _book(client, db)
    wrong = []
    for flt, expected in BAD:
        for url, body in (
            (f"/api/assistants/{aid}/segments/preview", {"filter": flt}),
            (f"/api/assistants/{aid}/segments", {"name": "x", "filter": flt}),
        ):
            r = await client.post(url, json=body)
            message = r.json().get("message", "")
            if (
                r.status_code != 400
                or r.json()["code"] != "VALIDATION_ERROR"
                or expected not in message
            ):
                wrong.append((flt, r.status_code, message))
    assert wrong == []
    async with db.session() as s:
        assert await s.scalar(select(func.count()).select_from(Segment)) == 0


async def test_money_in_another_currency_than_the_catalog_is_refused(
    client: httpx.AsyncClient, db: Database
) -> None:
    aid, _ids = await _book(client, db)
    async with db.transaction() as s:
        s.add(Product(assistant_id=aid, name="Dress", price=100, currency="NGN"))
    usd = {
        "all": [{"field": "totalSpent", "op": "gt", "value": {"amount": 100, "currency": "USD"}}]
    }
    r = await client.post(f"/api/assistants/{aid}/segments/preview", json={"filter": usd})
    assert r.status_code == 400
    assert r.json()["message"] == (
        "filter.all[0] (totalSpent): value.currency: this assistant's amounts are in NGN"
    )


async def test_segments_of_another_workspace_are_not_found(
    client: httpx.AsyncClient, db: Database
) -> None:
    aid, _ids = await _book(client, db)
    sid = (
        await client.post(f"/api/assistants/{aid}/segments", json={"name": "All", "filter": {}})
    ).json()["id"]
    await login(client, email="rival@shop.test", password="correct horse battery")
    for r in (
        await client.get(f"/api/segments/{sid}"),
        await client.get(f"/api/segments/{sid}/contacts"),
        await client.patch(f"/api/segments/{sid}", json={"name": "Mine"}),
        await client.delete(f"/api/segments/{sid}"),
        await client.post(f"/api/assistants/{aid}/segments/preview", json={"filter": {}}),
    ):
        assert r.status_code == 404, r.text


async def test_membership_moves_with_the_clock_without_any_write(
    client: httpx.AsyncClient, db: Database
) -> None:
    """The seed's "Contacts inactive for 2 weeks": Funke wrote 10 days ago; four days and a
    minute later she is in the saved segment, though nothing was written."""
    aid, _ids = await _book(client, db)
    async with db.transaction() as s:
        s.add(contact(aid, "Funke", phone="+2348010000009", last_message_at=ago(days=10)))
    r = await client.post(
        f"/api/assistants/{aid}/segments",
        json={"name": "Contacts inactive for 2 weeks", "filter": INACTIVE_2_WEEKS},
    )
    stored_filter = r.json()["filter"]

    async def members(at: Any) -> set[str | None]:
        async with db.session() as s:
            ids = await service.matching_contacts_query(s, aid, stored_filter, now=at)
            return set((await s.scalars(select(Contact.name).where(Contact.id.in_(ids)))).all())

    assert await members(NOW) == {"Bola 100%_x"}
    assert await members(NOW + timedelta(days=4, minutes=1)) == {"Bola 100%_x", "Funke"}
    assert await members(NOW + timedelta(days=3, hours=23)) == {"Bola 100%_x"}


async def test_list_runs_a_fixed_number_of_queries(client: httpx.AsyncClient, db: Database) -> None:
    from tests.catalog.test_query_counts import _queries

    aid, _ids = await _book(client, db)
    url = f"/api/assistants/{aid}/segments"
    await client.post(url, json={"name": "A", "filter": SPENT_OVER_50K})
    few = await _queries(db, lambda: client.get(url))
    page_few = await _queries(db, lambda: client.get(f"/assistants/{aid}/segments"))
    for i in range(5):
        await client.post(url, json={"name": f"B{i}", "filter": INACTIVE_2_WEEKS})
    assert await _queries(db, lambda: client.get(url)) == few
    assert await _queries(db, lambda: client.get(f"/assistants/{aid}/segments")) == page_few


async def test_renaming_onto_another_segments_name_is_a_conflict_that_changes_nothing(
    client: httpx.AsyncClient, db: Database
) -> None:
    aid, _ids = await _book(client, db)
    url = f"/api/assistants/{aid}/segments"
    await client.post(url, json={"name": "Big", "filter": SPENT_OVER_50K})
    sid = (await client.post(url, json={"name": "Quiet", "filter": INACTIVE_2_WEEKS})).json()["id"]
    r = await client.patch(f"/api/segments/{sid}", json={"name": "Big", "filter": SPENT_OVER_50K})
    assert r.status_code == 409 and r.json()["code"] == "CONFLICT", r.text
    kept = (await client.get(f"/api/segments/{sid}")).json()
    assert kept["name"] == "Quiet" and kept["filter"] == INACTIVE_2_WEEKS
    same = await client.patch(f"/api/segments/{sid}", json={"name": "Quiet"})
    assert same.status_code == 200  # its own name is not taken
