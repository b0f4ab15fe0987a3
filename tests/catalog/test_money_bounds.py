"""Money is 64-bit and bounded: a price over 2^31 minor units stores (int4 on PostgreSQL used to
answer 500), and amounts beyond the documented bound (10^15 minor units) are a 400 in JSON,
in the catalog form and in a CSV import, changing nothing."""

from __future__ import annotations

import httpx
import pytest
from sqlalchemy import func, select

from repdesk.assistants.models import Assistant
from repdesk.catalog.models import Product
from repdesk.db.engine import Database
from repdesk.kit.money import MAX_MINOR_UNITS
from repdesk.orders import service as orders
from tests.factories import create_assistant, signed_in

BIG = 3_000_000_000  # > 2^31: ₦30M in kobo
HUGE = [2**63, 2**64, MAX_MINOR_UNITS + 1]


async def _products(db: Database) -> int:
    async with db.session() as s:
        return int(await s.scalar(select(func.count()).select_from(Product)) or 0)


async def test_a_price_over_two_to_the_31_stores_and_reads_back(
    client: httpx.AsyncClient, assistant_id: str, db: Database
) -> None:
    base = f"/api/assistants/{assistant_id}/products"
    body = {"name": "Generator", "price": BIG, "variants": [{"name": "XL", "price": BIG + 1}]}
    r = await client.post(base, json=body)
    assert r.status_code == 201, r.text
    r = await client.get(f"{base}/{r.json()['id']}")
    assert r.json()["price"] == BIG and r.json()["variants"][0]["price"] == BIG + 1
    r = await client.post(base, json={"name": "Bound", "price": MAX_MINOR_UNITS})
    assert r.status_code == 201, r.text


@pytest.mark.parametrize("amount", HUGE)
async def test_huge_prices_in_json_are_refused(
    client: httpx.AsyncClient, assistant_id: str, db: Database, amount: int
) -> None:
    base = f"/api/assistants/{assistant_id}/products"
    ok = await client.post(base, json={"name": "Scarf", "price": 500})
    assert ok.status_code == 201
    bad = [
        await client.post(base, json={"name": "X", "price": amount}),
        await client.post(
            base, json={"name": "X", "price": 1, "variants": [{"name": "A", "price": amount}]}
        ),
        await client.patch(f"{base}/{ok.json()['id']}", json={"price": amount}),
    ]
    for r in bad:
        assert r.status_code == 400, r.text
        assert r.json()["code"] == "VALIDATION_ERROR"
    assert await _products(db) == 1
    assert (await client.get(f"{base}/{ok.json()['id']}")).json()["price"] == 500


@pytest.mark.parametrize("amount", HUGE)
async def test_huge_prices_in_a_csv_import_are_refused(
    client: httpx.AsyncClient, assistant_id: str, db: Database, amount: int
) -> None:
    url = f"/api/assistants/{assistant_id}/products/import"
    for csv in (
        f"name,price\nScarf,500\nRug,{amount}\n",
        f"name,price,variants\nRug,5,A={amount}\n",
    ):
        r = await client.post(url, files={"file": ("p.csv", csv.encode(), "text/csv")})
        assert r.status_code == 400, r.text
        assert r.json()["code"] == "VALIDATION_ERROR"
    assert await _products(db) == 0
    r = await client.post(
        url, files={"file": ("p.csv", f"name,price\nGen,{BIG}\n".encode(), "text/csv")}
    )
    assert r.status_code == 200, r.text
    assert await _products(db) == 1


@pytest.mark.parametrize(
    "text", [str(2**63 // 100), str(2**64), "1e999999999", "Infinity", "NaN", "-1"]
)
async def test_huge_prices_in_the_catalog_form_are_refused(
    client: httpx.AsyncClient, assistant_id: str, db: Database, text: str
) -> None:
    url = f"/assistants/{assistant_id}/catalog/save"
    csrf = str(client.headers["X-CSRF-Token"])
    for form in (
        {"name": "Rug", "price": text, "currency": "NGN"},
        {"name": "Rug", "price": "5", "currency": "NGN", "variants": f"Big={text}"},
    ):
        r = await client.post(url, data={"csrf_token": csrf, **form})
        assert r.status_code == 303 and "error=" in r.headers["location"], r.text
    assert await _products(db) == 0
    r = await client.post(url, data={"csrf_token": csrf, "name": "Gen", "price": "30000000"})
    assert r.status_code == 303 and "flash=" in r.headers["location"]
    async with db.session() as s:
        assert await s.scalar(select(Product.price)) == BIG


@pytest.mark.parametrize("amount", HUGE)
async def test_huge_delivery_fees_are_refused(
    client: httpx.AsyncClient, db: Database, amount: int
) -> None:
    acct = await signed_in(client, db)
    assistant = await create_assistant(db, workspace_id=acct.workspace_id)
    url = f"/api/assistants/{assistant.id}/delivery-options"
    ok = {"options": [{"name": "Lagos", "method": "delivery", "fee": BIG}]}
    assert (await client.put(url, json=ok)).status_code == 200
    r = await client.put(url, json={"options": [{"name": "Far", "fee": amount}]})
    assert r.status_code == 400 and r.json()["code"] == "VALIDATION_ERROR", r.text
    page = f"/assistants/{assistant.id}/orders/delivery"
    csrf = str(client.headers["X-CSRF-Token"])
    for fee in (str(amount), "inf", "nan", "1e999999"):
        r = await client.post(page, data={"csrf_token": csrf, "options": f"Far | delivery | {fee}"})
        assert r.status_code == 303 and "error=" in r.headers["location"], (fee, r.text)
    assert (await client.get(url)).json()["options"][0]["fee"] == BIG


async def test_an_order_over_two_to_the_31_stores_and_one_past_the_bound_is_refused(
    db: Database, assistant: Assistant
) -> None:
    def new(unit_price: int, fee: int = 0) -> orders.NewOrder:
        item = orders.LineItem(name="Generator", quantity=2, unit_price=unit_price)
        return orders.NewOrder(currency="NGN", items=[item], delivery_fee=fee)

    async with db.transaction() as s:
        a = await s.get(Assistant, assistant.id)
        assert a is not None
        order = await orders.create(s, assistant=a, new=new(BIG, fee=BIG), test=True)
    async with db.session() as s:
        from repdesk.orders.models import Order

        stored = await s.get(Order, order.id)
        assert stored is not None and (stored.subtotal, stored.total) == (2 * BIG, 3 * BIG)
    from repdesk.kit.errors import ValidationError

    for price, fee in ((MAX_MINOR_UNITS, 0), (1, 2**64), (2**62, 0)):
        with pytest.raises(ValidationError):
            async with db.transaction() as s:
                a = await s.get(Assistant, assistant.id)
                assert a is not None
                await orders.create(s, assistant=a, new=new(price, fee=fee), test=True)


async def test_currencies_without_minor_units_are_typed_stored_and_shown_whole(
    client: httpx.AsyncClient, assistant_id: str, db: Database
) -> None:
    """A yen or a CFA franc has no minor units: ``1,250`` typed is 1250 stored and
    ``JPY 1,250`` shown (never ``JPY 12.50``); a dinar has three (``1.250`` is 1250 fils)."""
    csrf = str(client.headers["X-CSRF-Token"])
    page = f"/assistants/{assistant_id}/catalog"
    for name, price, currency in [("Fan", "1,250", "JPY"), ("Oud", "1.250", "KWD")]:
        r = await client.post(
            f"{page}/save",
            data={"csrf_token": csrf, "name": name, "price": price, "currency": currency},
        )
        assert r.status_code == 303 and "flash=" in r.headers["location"], r.headers["location"]
    r = await client.post(
        f"{page}/save",
        data={"csrf_token": csrf, "name": "Half", "price": "12.5", "currency": "XOF"},
    )
    assert "error=" in r.headers["location"]
    rows = (await client.get(f"/api/assistants/{assistant_id}/products")).json()["data"]
    assert sorted((p["name"], p["price"], p["currency"]) for p in rows) == [
        ("Fan", 1250, "JPY"),
        ("Oud", 1250, "KWD"),
    ]
    html = (await client.get(page)).text
    assert "JPY 1,250" in html and "12.50" not in html and "KWD 1.250" in html
