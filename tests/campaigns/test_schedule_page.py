"""The Schedule page: a message scheduled, edited and cancelled through its forms (with CSRF),
in the chosen time zone; bad forms change nothing and say why."""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

import httpx

from repdesk.db.engine import Database
from repdesk.kit.time import utcnow
from tests.campaigns.schedule_helpers import schedule_jobs
from tests.factories import create_assistant, signed_in


async def test_schedule_page_schedules_edits_and_cancels(
    client: httpx.AsyncClient, db: Database
) -> None:
    account = await signed_in(client, db)
    aid = (await create_assistant(db, workspace_id=account.workspace_id)).id
    assert (
        await client.patch("/api/workspace", json={"timezone": "Africa/Lagos"})
    ).status_code == 200
    page = await client.get(f"/assistants/{aid}/schedule")
    assert page.status_code == 200, page.text[:3000]
    assert f'href="/assistants/{aid}/schedule"' in page.text
    assert '<option value="Africa/Lagos" selected>' in page.text  # the workspace's zone

    local = (utcnow() + timedelta(days=1)).astimezone(ZoneInfo("Asia/Tokyo"))
    form = {
        "csrf_token": account.csrf,
        "phone": "+2348012345678",
        "kind": "text",
        "text": "See you <b>tomorrow</b>",
        "day": f"{local:%Y-%m-%d}",
        "at": f"{local:%H:%M}",
        "time_zone": "Asia/Tokyo",
    }
    r = await client.post(f"/assistants/{aid}/schedule", data=form)
    assert r.status_code == 303 and "flash=" in r.headers["location"], r.headers["location"]
    made = (await client.get(f"/api/assistants/{aid}/scheduled-messages")).json()["data"]
    assert len(made) == 1 and made[0]["timeZone"] == "Asia/Tokyo"
    sent_at = made[0]["sendAt"]
    assert sent_at.startswith(f"{local.astimezone(ZoneInfo('UTC')):%Y-%m-%dT%H:%M}"), sent_at
    page = await client.get(f"/assistants/{aid}/schedule")
    assert "See you &lt;b&gt;tomorrow&lt;/b&gt;" in page.text and "(Asia/Tokyo)" in page.text

    sid = made[0]["id"]
    edit = await client.get(f"/assistants/{aid}/schedule?edit={sid}")
    assert (
        f'action="/assistants/{aid}/schedule/{sid}"' in edit.text
        and f'value="{local:%H:%M}"' in edit.text
    )
    later = local + timedelta(hours=2)
    r = await client.post(
        f"/assistants/{aid}/schedule/{sid}",
        data={**form, "text": "Moved", "at": f"{later:%H:%M}", "day": f"{later:%Y-%m-%d}"},
    )
    assert r.status_code == 303 and "flash=" in r.headers["location"]
    got = (await client.get(f"/api/scheduled-messages/{sid}")).json()
    assert got["content"]["text"]["body"] == "Moved" and got["sendAt"] > sent_at

    r = await client.post(
        f"/assistants/{aid}/schedule/{sid}/cancel", data={"csrf_token": account.csrf}
    )
    assert r.status_code == 303 and "flash=" in r.headers["location"]
    assert (await client.get(f"/api/scheduled-messages/{sid}")).json()["state"] == "cancelled"
    r = await client.post(
        f"/assistants/{aid}/schedule/{sid}/cancel", data={"csrf_token": account.csrf}
    )
    assert r.status_code == 303 and "error=" in r.headers["location"]


async def test_bad_schedule_forms_say_why_and_store_nothing(
    client: httpx.AsyncClient, db: Database
) -> None:
    account = await signed_in(client, db)
    aid = (await create_assistant(db, workspace_id=account.workspace_id)).id
    past = utcnow() - timedelta(hours=1)
    base = {
        "csrf_token": account.csrf,
        "phone": "+2348012345678",
        "kind": "text",
        "text": "hi",
        "day": f"{past:%Y-%m-%d}",
        "at": f"{past:%H:%M}",
        "time_zone": "UTC",
    }
    future = utcnow() + timedelta(hours=1)
    for change, words in [
        ({}, "passed"),
        ({"day": f"{future:%Y-%m-%d}", "at": f"{future:%H:%M}", "text": " "}, "Write"),
        ({"day": f"{future:%Y-%m-%d}", "at": f"{future:%H:%M}", "phone": ""}, "phone"),
        ({"day": "soon", "at": "x"}, "date"),
        (
            {"day": f"{future:%Y-%m-%d}", "at": f"{future:%H:%M}", "time_zone": "Moon/Dark"},
            "time+zone",
        ),
        ({"day": f"{future:%Y-%m-%d}", "at": f"{future:%H:%M}", "kind": "template"}, "template"),
    ]:
        r = await client.post(f"/assistants/{aid}/schedule", data={**base, **change})
        assert r.status_code == 303 and "error=" in r.headers["location"], change
        assert words.lower() in r.headers["location"].lower().replace("%20", "+"), (
            change,
            r.headers["location"],
        )
    assert (await client.get(f"/api/assistants/{aid}/scheduled-messages")).json()["data"] == []
    assert await schedule_jobs(db) == 0
