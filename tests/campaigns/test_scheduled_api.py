"""Scheduled messages in the management API: what is refused (and then nothing is stored), the
workspace's time zone as the default, listing, editing and cancelling."""

from __future__ import annotations

import httpx

from repdesk.db.engine import Database
from tests.campaigns.schedule_helpers import at, schedule, schedule_jobs, text
from tests.factories import create_account, create_assistant, login, signed_in

PHONE = "+2348031110001"


async def test_bad_schedules_are_refused_with_a_code_and_store_nothing(
    client: httpx.AsyncClient, db: Database
) -> None:
    account = await signed_in(client, db)
    aid = (await create_assistant(db, workspace_id=account.workspace_id)).id
    other = await create_account(db, email="other@shop.test")
    foreign = (await create_assistant(db, workspace_id=other[1].id)).id
    naive = at(3600)[:19]  # 2026-12-04T19:00:00 with no offset
    cases = [
        ({"to": {"phone": PHONE}, "content": text("hi"), "sendAt": naive}, 400, "VALIDATION_ERROR"),
        (
            {"to": {"phone": PHONE}, "content": text("hi"), "sendAt": at(-60)},
            400,
            "SEND_AT_IN_PAST",
        ),
        (
            {"to": {"phone": PHONE}, "content": text("hi"), "sendAt": "tomorrow"},
            400,
            "VALIDATION_ERROR",
        ),
        (
            {"to": {"phone": PHONE}, "content": text("hi"), "sendAt": at(400 * 86400)},
            400,
            "VALIDATION_ERROR",
        ),
        ({"to": {}, "content": text("hi"), "sendAt": at(60)}, 400, "VALIDATION_ERROR"),
        (
            {"to": {"phone": PHONE, "contactId": "c1"}, "content": text("hi"), "sendAt": at(60)},
            400,
            "VALIDATION_ERROR",
        ),
        (
            {"to": {"phone": "0803 111"}, "content": text("hi"), "sendAt": at(60)},
            400,
            "INVALID_PHONE_NUMBER",
        ),
        ({"to": {"contactId": "nope"}, "content": text("hi"), "sendAt": at(60)}, 404, "NOT_FOUND"),
        (
            {"to": {"phone": PHONE}, "content": {"type": "text"}, "sendAt": at(60)},
            400,
            "VALIDATION_ERROR",
        ),
        (
            {
                "to": {"phone": PHONE},
                "content": text("hi"),
                "sendAt": at(60),
                "timeZone": "Mars/Base",
            },
            400,
            "VALIDATION_ERROR",
        ),
        (
            {"to": {"phone": PHONE}, "content": text("hi"), "sendAt": at(60), "x": 1},
            400,
            "VALIDATION_ERROR",
        ),
    ]
    for body, status, code in cases:
        r = await client.post(f"/api/assistants/{aid}/scheduled-messages", json=body)
        assert (r.status_code, r.json()["code"]) == (status, code), (body, r.text)
    assert (
        "Mars/Base"
        in (
            await client.post(
                f"/api/assistants/{aid}/scheduled-messages",
                json={
                    "to": {"phone": PHONE},
                    "content": text("hi"),
                    "sendAt": at(60),
                    "timeZone": "Mars/Base",
                },
            )
        ).json()["message"]
    )
    r = await client.post(
        f"/api/assistants/{foreign}/scheduled-messages",
        json={"to": {"phone": PHONE}, "content": text("hi"), "sendAt": at(60)},
    )
    assert r.status_code == 404
    listed = (await client.get(f"/api/assistants/{aid}/scheduled-messages")).json()
    assert listed["data"] == [] and await schedule_jobs(db) == 0


async def test_the_workspace_time_zone_is_the_default_and_is_checked(
    client: httpx.AsyncClient, db: Database
) -> None:
    account = await signed_in(client, db)
    aid = (await create_assistant(db, workspace_id=account.workspace_id)).id
    assert (await client.get("/api/workspace")).json()["timezone"] == "UTC"
    r = await client.patch("/api/workspace", json={"timezone": "Lagos"})
    assert r.status_code == 400 and r.json()["code"] == "VALIDATION_ERROR", r.text
    r = await client.patch("/api/workspace", json={"timezone": "Africa/Lagos"})
    assert r.status_code == 200 and r.json()["timezone"] == "Africa/Lagos"
    assert r.json()["businessName"] == "Ada's Shop"  # untouched
    made = await schedule(
        client, aid, {"to": {"phone": PHONE}, "content": text("hi"), "sendAt": at(3600)}
    )
    assert made["timeZone"] == "Africa/Lagos" and made["state"] == "scheduled"
    own = await schedule(
        client,
        aid,
        {
            "to": {"phone": PHONE},
            "content": text("hi"),
            "sendAt": at(3600),
            "timeZone": "Europe/Paris",
        },
    )
    assert own["timeZone"] == "Europe/Paris"


async def test_a_schedule_is_listed_read_edited_and_cancelled(
    client: httpx.AsyncClient, db: Database
) -> None:
    account = await signed_in(client, db)
    aid = (await create_assistant(db, workspace_id=account.workspace_id)).id
    first = await schedule(
        client,
        aid,
        {"to": {"phone": "+234 803 111 0001"}, "content": text("later"), "sendAt": at(7200)},
    )
    second = await schedule(
        client, aid, {"to": {"phone": PHONE}, "content": text("sooner"), "sendAt": at(3600)}
    )
    assert first["to"] == {"contactId": None, "phone": PHONE}
    assert first["sendAt"].endswith("Z") or first["sendAt"].endswith("+00:00")
    assert (
        first["late"] is False
        and first["messageId"] is None
        and first["createdBy"] == account.user_id
    )
    assert await schedule_jobs(db) == 2

    upcoming = (
        await client.get(f"/api/assistants/{aid}/scheduled-messages?state=scheduled")
    ).json()
    assert [s["id"] for s in upcoming["data"]] == [second["id"], first["id"]]  # soonest first
    r = await client.get(f"/api/assistants/{aid}/scheduled-messages?state=sideways")
    assert r.status_code == 400

    r = await client.patch(
        f"/api/scheduled-messages/{first['id']}",
        json={"content": text("edited"), "sendAt": at(1800)},
    )
    assert r.status_code == 200, r.text
    assert r.json()["content"]["text"]["body"] == "edited"
    assert r.json()["sendAt"] < first["sendAt"]
    assert await schedule_jobs(db) == 3  # the new time has its job; the old one will do nothing
    r = await client.patch(f"/api/scheduled-messages/{first['id']}", json={"sendAt": at(-5)})
    assert r.status_code == 400 and r.json()["code"] == "SEND_AT_IN_PAST"
    r = await client.patch(f"/api/scheduled-messages/{first['id']}", json={"state": "sent"})
    assert r.status_code == 400  # not a field
    assert (await client.get(f"/api/scheduled-messages/{first['id']}")).json()["content"]["text"][
        "body"
    ] == "edited"

    r = await client.delete(f"/api/scheduled-messages/{second['id']}")
    assert r.status_code == 200 and r.json()["state"] == "cancelled"
    for method, body in (("DELETE", None), ("PATCH", {"content": text("x")})):
        r = await client.request(method, f"/api/scheduled-messages/{second['id']}", json=body)
        assert r.status_code == 409 and r.json()["code"] == "SCHEDULE_NOT_EDITABLE", r.text
    cancelled = (
        await client.get(f"/api/assistants/{aid}/scheduled-messages?state=cancelled")
    ).json()
    assert [s["id"] for s in cancelled["data"]] == [second["id"]]


async def test_another_workspace_cannot_see_or_touch_a_schedule(
    client: httpx.AsyncClient, db: Database
) -> None:
    account = await signed_in(client, db)
    aid = (await create_assistant(db, workspace_id=account.workspace_id)).id
    made = await schedule(
        client, aid, {"to": {"phone": PHONE}, "content": text("hi"), "sendAt": at(600)}
    )
    await create_account(db, email="intruder@shop.test")
    await login(client, email="intruder@shop.test", password="correct horse battery")
    for method in ("GET", "PATCH", "DELETE"):
        body = {"content": text("x")} if method == "PATCH" else None
        r = await client.request(method, f"/api/scheduled-messages/{made['id']}", json=body)
        assert r.status_code == 404, (method, r.text)
    r = await client.get(f"/api/assistants/{aid}/scheduled-messages")
    assert r.status_code == 404
