"""Products and variants over the management API; the service API that the engine uses."""

from __future__ import annotations

import csv
import io

import httpx
from sqlalchemy import func, select

from repdesk.catalog import service as catalog
from repdesk.catalog.models import Product, ProductVariant
from repdesk.db.engine import Database
from repdesk.jobs.worker import Worker

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64

DRESS = {
    "name": "Ankara Maxi Dress",
    "description": "Floor-length dress in bold Ankara print.",
    "price": 2500000,
    "currency": "NGN",
    "available": True,
    "variants": [
        {"name": "Small", "price": None, "available": True},
        {"name": "Large", "price": 2700000, "available": False},
    ],
}


async def _count(db: Database, model: type) -> int:
    async with db.session() as s:
        return int(await s.scalar(select(func.count()).select_from(model)) or 0)


async def test_create_read_update_delete_product(
    client: httpx.AsyncClient, assistant_id: str, db: Database
) -> None:
    base = f"/api/assistants/{assistant_id}/products"
    r = await client.post(base, json=DRESS)
    assert r.status_code == 201, r.text
    p = r.json()
    assert p["price"] == 2500000 and p["currency"] == "NGN"
    assert [(v["name"], v["price"], v["available"]) for v in p["variants"]] == [
        ("Small", 2500000, True),  # no own price: the product's
        ("Large", 2700000, False),
    ]
    small_id = p["variants"][0]["id"]

    r = await client.patch(
        f"{base}/{p['id']}",
        json={
            "price": 2600000,
            "variants": [{"name": "Small", "available": False}, {"name": "XL", "price": 2900000}],
        },
    )
    assert r.status_code == 200, r.text
    upd = r.json()
    assert upd["price"] == 2600000
    assert [(v["name"], v["price"], v["available"]) for v in upd["variants"]] == [
        ("Small", 2600000, False),
        ("XL", 2900000, True),
    ]
    assert upd["variants"][0]["id"] == small_id  # kept by name
    assert await _count(db, ProductVariant) == 2

    assert (await client.get(f"{base}/{p['id']}")).json()["name"] == "Ankara Maxi Dress"
    listed = (await client.get(base, params={"q": "ankara"})).json()["data"]
    assert [x["id"] for x in listed] == [p["id"]]
    assert (await client.get(base, params={"q": "sandal"})).json()["data"] == []

    assert (await client.delete(f"{base}/{p['id']}")).status_code == 204
    assert (await client.get(f"{base}/{p['id']}")).status_code == 404
    assert await _count(db, ProductVariant) == 0


async def test_invalid_products_are_rejected_without_changes(
    client: httpx.AsyncClient, assistant_id: str, db: Database
) -> None:
    base = f"/api/assistants/{assistant_id}/products"
    bad = [
        {**DRESS, "price": -1},
        {**DRESS, "price": 25000.5},
        {**DRESS, "price": "25000"},
        {**DRESS, "currency": "naira"},
        {**DRESS, "currency": "ng1"},
        {**DRESS, "name": ""},
        {**DRESS, "variants": [{"name": "S"}, {"name": "s"}]},
        {**DRESS, "variants": [{"name": "S", "price": "100"}]},
        {**DRESS, "images": ["javascript:alert(1)"]},
        {**DRESS, "colour": "red"},
    ]
    for body in bad:
        r = await client.post(base, json=body)
        assert r.status_code == 400, (body, r.text)
        assert r.json()["code"] == "VALIDATION_ERROR"
    assert await _count(db, Product) == 0


async def test_search_finds_products_by_customer_words(
    client: httpx.AsyncClient, assistant_id: str, db: Database, worker: Worker
) -> None:
    base = f"/api/assistants/{assistant_id}/products"
    dress = (await client.post(base, json=DRESS)).json()
    await client.post(
        base,
        json={
            "name": "Leather Sandals",
            "price": 1500000,
            "currency": "NGN",
            "description": "Handmade brown leather sandals.",
        },
    )
    await client.post(base, json={"name": "Beaded Necklace", "price": 800000, "currency": "NGN"})
    await worker.drain()
    r = await client.get(f"{base}/search", params={"q": "do you have ankara gown?"})
    assert r.status_code == 200
    top = r.json()["data"][0]
    assert top["id"] == dress["id"] and 0 < top["score"] <= 1

    async with db.session() as s:
        found = await catalog.find_products(
            s, assistant_id=assistant_id, query="shoes for the beach", k=2
        )
        assert found[0].name == "Leather Sandals"
        assert [v.name for v in found[0].variants] == []
        got = await catalog.get_product(s, assistant_id=assistant_id, product_id=dress["id"])
        assert got is not None and [v.name for v in got.variants] == ["Small", "Large"]
        listed = await catalog.list_products(s, assistant_id=assistant_id, available_only=True)
        assert len(listed) == 3


async def test_csv_export_then_import_round_trips_and_updates(
    client: httpx.AsyncClient, assistant_id: str, db: Database
) -> None:
    base = f"/api/assistants/{assistant_id}/products"
    dress = (await client.post(base, json=DRESS)).json()
    r = await client.get(f"{base}/export")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(r.text)))
    assert rows == [
        {
            "id": dress["id"],
            "name": "Ankara Maxi Dress",
            "description": "Floor-length dress in bold Ankara print.",
            "price": "2500000",
            "currency": "NGN",
            "available": "yes",
            "variants": "Small; Large=2700000!",
            "images": "",
        }
    ]
    rows[0]["price"] = "2400000"
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=list(rows[0]))
    writer.writeheader()
    writer.writerow(rows[0])
    writer.writerow(
        {
            "id": "",
            "name": "Silk Scarf",
            "description": "",
            "price": "500000",
            "currency": "ngn",
            "available": "no",
            "variants": "Red; Blue=550000",
            "images": "",
        }
    )
    r = await client.post(
        f"{base}/import", files={"file": ("p.csv", buf.getvalue().encode(), "text/csv")}
    )
    assert r.status_code == 200, r.text
    assert r.json() == {"created": 1, "updated": 1}
    products = {p["name"]: p for p in (await client.get(base)).json()["data"]}
    assert products["Ankara Maxi Dress"]["price"] == 2400000
    assert products["Ankara Maxi Dress"]["variants"][1]["price"] == 2700000
    scarf = products["Silk Scarf"]
    assert scarf["currency"] == "NGN" and scarf["available"] is False
    assert [(v["name"], v["price"]) for v in scarf["variants"]] == [
        ("Red", 500000),
        ("Blue", 550000),
    ]


async def test_a_bad_csv_row_rejects_the_whole_file(
    client: httpx.AsyncClient, assistant_id: str, db: Database
) -> None:
    url = f"/api/assistants/{assistant_id}/products/import"
    data = "name,price\nGood,1000\nBad,12.50\n"
    r = await client.post(url, files={"file": ("p.csv", data.encode(), "text/csv")})
    assert r.status_code == 400 and "Row 3" in r.json()["message"]
    for bad in (b"", b"title,cost\nx,1\n", b"\xff\xfe\x00bad", b"name,price\n"):
        r = await client.post(url, files={"file": ("p.csv", bad, "text/csv")})
        assert r.status_code == 400, bad
    assert await _count(db, Product) == 0


async def test_product_images_by_upload_and_url(
    client: httpx.AsyncClient, assistant_id: str, db: Database
) -> None:
    base = f"/api/assistants/{assistant_id}/products"
    p = (await client.post(base, json=DRESS)).json()
    r = await client.post(f"{base}/{p['id']}/images", files={"file": ("d.png", PNG, "image/png")})
    assert r.status_code == 201, r.text
    uploaded = r.json()["images"][0]
    assert uploaded.startswith("/api/files/")
    img = await client.get(uploaded)
    assert (
        img.status_code == 200 and img.content == PNG and img.headers["content-type"] == "image/png"
    )
    r = await client.post(f"{base}/{p['id']}/images", json={"url": "https://cdn.example/dress.jpg"})
    assert r.status_code == 201 and r.json()["images"] == [
        uploaded,
        "https://cdn.example/dress.jpg",
    ]
    r = await client.post(
        f"{base}/{p['id']}/images", files={"file": ("x.html", b"<script>", "text/html")}
    )
    assert r.status_code == 415
    r = await client.post(f"{base}/{p['id']}/images", json={"url": "file:///etc/passwd"})
    assert r.status_code == 400
    r = await client.delete(f"{base}/{p['id']}/images/0")
    assert r.status_code == 200 and r.json()["images"] == ["https://cdn.example/dress.jpg"]
    assert (await client.delete(f"{base}/{p['id']}/images/5")).status_code == 404
