from __future__ import annotations

import httpx

from repdesk.assistants.models import Assistant
from repdesk.db.engine import Database
from repdesk.orders import service as orders
from tests.factories import create_account, create_assistant, login, signed_in


async def _order(
    db: Database, assistant: Assistant, *, name: str = "Ada", test: bool = False
) -> str:
    async with db.transaction() as s:
        a = await s.get(Assistant, assistant.id)
        assert a is not None
        o = await orders.create(
            s,
            assistant=a,
            test=test,
            new=orders.NewOrder(
                currency="NGN",
                delivery_fee=250000,
                customer_name=name,
                customer_phone="08031234567",
                delivery_address="12 Allen Avenue",
                delivery_method="Delivery within Lagos",
                items=[
                    orders.LineItem(
                        name="Shea Butter", variant="500g", quantity=2, unit_price=600000
                    )
                ],
            ),
        )
        return o.id


async def test_orders_list_filter_and_update(client: httpx.AsyncClient, db: Database) -> None:
    acct = await signed_in(client, db)
    assistant = await create_assistant(db, workspace_id=acct.workspace_id)
    first = await _order(db, assistant, name="Ada")
    second = await _order(db, assistant, name="Bola")
    await _order(db, assistant, name="Test", test=True)

    r = await client.get(f"/api/assistants/{assistant.id}/orders")
    body = r.json()
    assert r.status_code == 200 and len(body["data"]) == 3
    assert [o["number"] for o in body["data"]] == [3, 2, 1]
    o = next(x for x in body["data"] if x["id"] == first)
    assert o["subtotal"] == 1200000 and o["total"] == 1450000 and o["paymentStatus"] == "unpaid"
    assert o["items"] == [
        {
            "productId": None,
            "variantId": None,
            "name": "Shea Butter",
            "variant": "500g",
            "quantity": 2,
            "unitPrice": 600000,
            "lineTotal": 1200000,
        }
    ]

    r = await client.patch(
        f"/api/orders/{second}",
        json={"status": "shipped", "note": "Sent with GIG", "fulfilmentStatus": "out_for_delivery"},
    )
    assert r.status_code == 200, r.text
    o = r.json()
    assert o["status"] == "shipped" and o["fulfilmentStatus"] == "out_for_delivery"
    assert o["notes"][0]["text"] == "Sent with GIG"
    assert [h.get("status") for h in o["history"] if "status" in h] == ["pending", "shipped"]

    r = await client.get(f"/api/assistants/{assistant.id}/orders", params={"status": "shipped"})
    assert [x["id"] for x in r.json()["data"]] == [second]
    r = await client.get(
        f"/api/assistants/{assistant.id}/orders", params={"test": "false", "q": "ada"}
    )
    assert [x["id"] for x in r.json()["data"]] == [first]
    r = await client.get(f"/api/orders/{first}")
    assert r.status_code == 200 and r.json()["customerName"] == "Ada"


async def test_bad_order_input_is_a_clear_4xx_and_changes_nothing(
    client: httpx.AsyncClient, db: Database
) -> None:
    acct = await signed_in(client, db)
    assistant = await create_assistant(db, workspace_id=acct.workspace_id)
    oid = await _order(db, assistant)
    r = await client.patch(f"/api/orders/{oid}", json={"status": "teleported"})
    assert r.status_code == 400 and r.json()["code"] == "VALIDATION_ERROR"
    r = await client.patch(f"/api/orders/{oid}", json={"price": 1})
    assert r.status_code == 400
    r = await client.get(f"/api/assistants/{assistant.id}/orders", params={"status": "lost"})
    assert r.status_code == 400
    assert (await client.get(f"/api/orders/{oid}")).json()["status"] == "pending"


async def test_orders_of_another_workspace_are_not_found(
    client: httpx.AsyncClient, db: Database
) -> None:
    await create_account(db, email="other@shop.test", business_name="Other")
    other = await login(client, email="other@shop.test", password="correct horse battery")
    theirs = await create_assistant(db, workspace_id=other.workspace_id)
    oid = await _order(db, theirs)
    client.cookies.clear()
    await signed_in(client, db)
    assert (await client.get(f"/api/orders/{oid}")).status_code == 404
    assert (
        await client.patch(f"/api/orders/{oid}", json={"status": "cancelled"})
    ).status_code == 404
    assert (await client.get(f"/api/assistants/{theirs.id}/orders")).status_code == 404


async def test_delivery_options_api_and_page(client: httpx.AsyncClient, db: Database) -> None:
    acct = await signed_in(client, db)
    assistant = await create_assistant(db, workspace_id=acct.workspace_id)
    url = f"/api/assistants/{assistant.id}/delivery-options"
    assert (await client.get(url)).json() == {"options": []}
    body = {
        "options": [
            {"name": "Lagos", "method": "delivery", "fee": 250000, "areas": ["Lagos", "Ikeja"]},
            {"name": "Pickup", "method": "pickup", "fee": 0},
            {"name": "Elsewhere", "method": "delivery", "fee": None},
        ]
    }
    r = await client.put(url, json=body)
    assert r.status_code == 200, r.text
    assert r.json()["options"][0] == {
        "name": "Lagos",
        "method": "delivery",
        "fee": 250000,
        "areas": ["lagos", "ikeja"],
    }
    assert (await client.get(url)).json()["options"][2]["fee"] is None
    for bad in (
        {"options": [{"name": "", "fee": 1}]},
        {"options": [{"name": "x", "fee": -1}]},
        {"options": [{"name": "x", "method": "drone"}]},
        {"options": "x"},
    ):
        r = await client.put(url, json=bad)
        assert r.status_code == 400, bad
    assert len((await client.get(url)).json()["options"]) == 3  # nothing changed

    page = f"/assistants/{assistant.id}/orders"
    html = (await client.get(page)).text
    assert "Lagos | delivery | 2500 | lagos, ikeja" in html
    r = await client.post(
        f"{page}/delivery", data={"options": "Abuja | delivery | 4,500.50 | abuja"}
    )
    assert r.status_code == 303 and "flash=" in r.headers["location"]
    assert (await client.get(url)).json()["options"] == [
        {"name": "Abuja", "method": "delivery", "fee": 450050, "areas": ["abuja"]}
    ]
    r = await client.post(f"{page}/delivery", data={"options": "X | delivery | lots |"})
    assert "error=" in r.headers["location"]
