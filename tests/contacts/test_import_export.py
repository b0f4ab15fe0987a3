"""CSV import as a background job (bad rows reported, the rest stored, re-import updates) and
CSV export of a filtered list or a selection."""

from __future__ import annotations

import csv
import io
import json

import httpx
from sqlalchemy import func, select

from repdesk.contacts import imports
from repdesk.contacts.models import Contact, ContactImport
from repdesk.db.engine import Database
from repdesk.jobs.worker import Worker
from tests.contacts.helpers import inbound

CSV = (
    "Phone Number,Full Name,Email,Tags,City,Orders\n"
    "0803 123 4567,Ada Obi,ada@shop.test,vip;lagos,Lagos,3\n"
    "+233 24 123 4567,Kofi,,ghana,Accra,1\n"
    "not a phone,Bad One,,,,\n"
    ",No Phone,,,,\n"
    "08031234568,Bola,bola-at-shop,,,\n"
    "08031234569,Chi,,,,many\n"
)


async def _run_imports(db: Database) -> None:
    await Worker(db, kinds=[imports.JOB], poll_interval=0.05).drain()


async def _start(client: httpx.AsyncClient, assistant_id: str, text: str, **form: str) -> str:
    r = await client.post(
        f"/api/assistants/{assistant_id}/contacts/import",
        files={"file": ("contacts.csv", text.encode(), "text/csv")},
        data={"defaultCountry": "NG", **form},
    )
    assert r.status_code == 202, r.text
    return str(r.json()["importId"])


async def test_import_reports_bad_rows_and_stores_the_rest(
    client: httpx.AsyncClient, db: Database, assistant_id: str
) -> None:
    await client.post(
        f"/api/assistants/{assistant_id}/attributes",
        json={"key": "orders", "label": "Orders", "type": "number"},
    )
    preview = await client.post(
        f"/api/assistants/{assistant_id}/contacts/import/preview",
        files={"file": ("c.csv", CSV.encode(), "text/csv")},
    )
    assert preview.status_code == 200, preview.text
    p = preview.json()
    assert p["columns"][:2] == ["Phone Number", "Full Name"] and len(p["rows"]) == 5
    assert p["mapping"]["Phone Number"] == "phone" and p["mapping"]["City"] == "attribute:city"

    import_id = await _start(client, assistant_id, CSV)
    queued = (await client.get(f"/api/imports/{import_id}")).json()
    assert queued["status"] == "queued"  # the request did not import anything itself
    await _run_imports(db)
    report = (await client.get(f"/api/imports/{import_id}")).json()
    assert report["status"] == "done"
    assert (report["total"], report["created"], report["updated"], report["failed"]) == (6, 2, 0, 4)
    by_row = {e["row"]: e["message"] for e in report["errors"]}
    assert set(by_row) == {4, 5, 6, 7}
    assert "phone" in by_row[4] and by_row[5] == "phone: missing."
    assert "email" in by_row[6] and "orders" in by_row[7]

    listed = (
        await client.get(f"/api/assistants/{assistant_id}/contacts", params={"sort": "name"})
    ).json()["data"]
    assert [(c["name"], c["phone"]) for c in listed] == [
        ("Ada Obi", "+2348031234567"),
        ("Kofi", "+233241234567"),
    ]
    ada = listed[0]
    assert ada["tags"] == ["vip", "lagos"] and ada["email"] == "ada@shop.test"
    assert ada["attributes"] == {"city": "Lagos", "orders": 3}


async def test_reimport_updates_by_phone(
    client: httpx.AsyncClient, db: Database, assistant_id: str
) -> None:
    existing = await inbound(db, assistant_id, phone="+2348031234567", name=None)
    first = "phone,name,tags\n08031234567,Ada,vip\n"
    await _start(client, assistant_id, first)
    await _run_imports(db)
    again = "phone,name,tags,city\n+234 803 123 4567,Ada Obi,lagos,Ikeja\n"
    import_id = await _start(client, assistant_id, again)
    await _run_imports(db)
    report = (await client.get(f"/api/imports/{import_id}")).json()
    assert (report["created"], report["updated"]) == (0, 1)
    async with db.transaction() as session:
        assert await session.scalar(select(func.count()).select_from(Contact)) == 1
    one = (await client.get(f"/api/contacts/{existing}")).json()
    assert one["name"] == "Ada Obi" and one["tags"] == ["vip", "lagos"]
    assert one["attributes"] == {"city": "Ikeja"} and one["messageCount"] == 1


async def test_import_in_chunks_shows_progress(
    client: httpx.AsyncClient, db: Database, assistant_id: str, monkeypatch: object
) -> None:
    import pytest

    mp = pytest.MonkeyPatch()
    mp.setattr(imports, "CHUNK_ROWS", 3)
    mp.setattr(imports, "BATCH_ROWS", 2)
    try:
        rows = "".join(f"+23480312300{i:02d},Name {i}\n" for i in range(7))
        import_id = await _start(client, assistant_id, "phone,name\n" + rows)
        worker = Worker(db, kinds=[imports.JOB], poll_interval=0.05)
        await worker.run_once()
        middle = (await client.get(f"/api/imports/{import_id}")).json()
        assert middle["status"] == "running" and middle["created"] == 3 and middle["total"] == 7
        await worker.drain()
    finally:
        mp.undo()
    done = (await client.get(f"/api/imports/{import_id}")).json()
    assert done["status"] == "done" and done["created"] == 7
    async with db.transaction() as session:
        job = await session.get(ContactImport, import_id)
        assert job is not None and job.file_id is None  # the upload is let go


async def test_bad_import_requests_are_400_and_store_nothing(
    client: httpx.AsyncClient, db: Database, assistant_id: str
) -> None:
    url = f"/api/assistants/{assistant_id}/contacts/import"
    cases = [
        ({"file": ("c.csv", b"", "text/csv")}, {}),
        ({"file": ("c.csv", b"name,email\nAda,a@b.c\n", "text/csv")}, {}),  # no phone column
        ({"file": ("c.csv", b"phone\n+2348031234567\n", "text/csv")}, {"defaultCountry": "XX"}),
        ({"file": ("c.csv", b"phone\n+2348031234567\n", "text/csv")}, {"mapping": "{"}),
        (
            {"file": ("c.csv", b"phone\n+2348031234567\n", "text/csv")},
            {"mapping": json.dumps({"phone": "password"})},
        ),
    ]
    for files, data in cases:
        r = await client.post(url, files=files, data=data)
        assert r.status_code == 400, (data, r.text)
        assert r.json()["code"] == "VALIDATION_ERROR"
    async with db.transaction() as session:
        assert await session.scalar(select(func.count()).select_from(ContactImport)) == 0


async def test_export_of_a_filtered_list_and_of_a_selection(
    client: httpx.AsyncClient, db: Database, assistant_id: str
) -> None:
    a = await inbound(db, assistant_id, phone="+2348030000001", name="=cmd|' /C calc'!A0")
    b = await inbound(db, assistant_id, phone="+2348030000002", name="Bola")
    await client.patch(
        f"/api/contacts/{a}", json={"tags": ["vip"], "attributes": {"city": "Lagos"}}
    )
    r = await client.get(
        f"/api/assistants/{assistant_id}/contacts/export.csv", params={"tag": "vip"}
    )
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(r.content.decode("utf-8-sig"))))
    assert [row["phone"] for row in rows] == ["+2348030000001"]
    assert rows[0]["name"].startswith("'=")  # a spreadsheet does not run it
    assert rows[0]["tags"] == "vip" and rows[0]["city"] == "Lagos"
    assert rows[0]["purchaseBehaviour"] == "never" and rows[0]["messageCount"] == "1"
    everyone = await client.get(f"/api/assistants/{assistant_id}/contacts/export.csv")
    assert everyone.content.decode("utf-8-sig").count("\r\n") == 3
    chosen = await client.get(
        f"/api/assistants/{assistant_id}/contacts/export.csv", params={"ids": b}
    )
    lines = chosen.content.decode("utf-8-sig").splitlines()
    assert len(lines) == 2 and lines[1].startswith("+2348030000002,Bola")


async def test_export_of_a_saved_segment(
    client: httpx.AsyncClient, db: Database, assistant_id: str
) -> None:
    a = await inbound(db, assistant_id, phone="+2348030000011", name="Ada")
    await inbound(db, assistant_id, phone="+2348030000012", name="Bola")
    await client.patch(f"/api/contacts/{a}", json={"tags": ["vip"]})
    made = await client.post(
        f"/api/assistants/{assistant_id}/segments",
        json={
            "name": "VIPs",
            "filter": {"all": [{"field": "tags", "op": "has", "value": "vip"}]},
        },
    )
    assert made.status_code in (200, 201), made.text
    r = await client.get(
        f"/api/assistants/{assistant_id}/contacts/export.csv",
        params={"segmentId": made.json()["id"]},
    )
    assert r.status_code == 200, r.text
    rows = list(csv.DictReader(io.StringIO(r.content.decode("utf-8-sig"))))
    assert [row["phone"] for row in rows] == ["+2348030000011"]
    missing = await client.get(
        f"/api/assistants/{assistant_id}/contacts/export.csv", params={"segmentId": "nope"}
    )
    assert missing.status_code == 404
