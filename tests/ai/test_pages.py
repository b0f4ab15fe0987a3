"""Dashboard pages of part B: Playground, AI engine, Orders, Training (server-rendered)."""

from __future__ import annotations

from pathlib import Path

import httpx
from sqlalchemy import select

from repdesk.db.engine import Database
from repdesk.orders.models import Order
from tests.ai.conftest import DemoShop

FIX = Path(__file__).parents[1] / "training" / "fixtures"


async def test_menu_and_playground_page(client: httpx.AsyncClient, shop: DemoShop) -> None:
    r = await client.get(f"/assistants/{shop.assistant.id}/playground")
    assert r.status_code == 200
    html = r.text
    for label in ("Playground", "Training", "Orders"):
        assert f">{label}</a>" in html
    assert 'id="pg-form"' in html and "built-in" in html


async def test_ai_engine_page_saves_settings_without_showing_the_key(
    client: httpx.AsyncClient, shop: DemoShop
) -> None:
    r = await client.post(
        "/settings/ai",
        data={
            "provider": "openai",
            "base_url": "http://127.0.0.1:9/v1",
            "model": "gpt-test",
            "api_key": "sk-page-secret",
            "timeout_seconds": "7",
        },
    )
    assert r.status_code == 303 and "flash=" in r.headers["location"]
    page = (await client.get("/settings/ai")).text
    assert "gpt-test" in page and "sk-page-secret" not in page and "A key is stored" in page
    r = await client.post("/settings/ai", data={"provider": "openai", "model": ""})
    assert "error=" in r.headers["location"]


async def test_orders_pages_list_filter_and_update(
    client: httpx.AsyncClient, db: Database, shop: DemoShop
) -> None:
    sid = None
    for text in [
        "I want the oud perfume",
        "Chidi Eze, 07012345678, 5 <b>Allen</b> Avenue Ikeja, delivery",
        "yes",
    ]:
        body = {"text": text} | ({"sessionId": sid} if sid else {})
        r = await client.post(f"/api/assistants/{shop.assistant.id}/playground", json=body)
        sid = r.json()["sessionId"]
    async with db.session() as s:
        order = await s.scalar(select(Order))
    assert order is not None
    base = f"/assistants/{shop.assistant.id}/orders"
    html = (await client.get(base)).text
    assert "Oud Royale Perfume" in html and "₦47,500.00" in html and "test" in html
    assert "Oud Royale" not in (await client.get(base, params={"test": "no"})).text
    r = await client.post(
        f"{base}/{order.id}",
        data={
            "status": "confirmed",
            "payment_status": "paid",
            "fulfilment_status": "packed",
            "note": "Paid by transfer",
        },
    )
    assert r.status_code == 303
    detail = (await client.get(f"{base}/{order.id}")).text
    assert "Paid by transfer" in detail and 'value="confirmed" selected' in detail
    assert "<b>Allen</b>" not in detail and "&lt;b&gt;Allen" in detail  # customer text escaped
    r = await client.post(f"{base}/{order.id}", data={"status": "lost"})
    assert "error=" in r.headers["location"]


async def test_training_page_imports_a_chat_and_edits_the_profile(
    client: httpx.AsyncClient, shop: DemoShop
) -> None:
    base = f"/assistants/{shop.assistant.id}/training"
    r = await client.post(
        f"{base}/chat-export",
        files={"file": ("chat.txt", (FIX / "android.txt").read_bytes())},
        data={"business_name": "Tee's Closet"},
    )
    assert r.status_code == 303 and "4%20examples" in r.headers["location"]
    html = (await client.get(base)).text
    assert "Good morning dear" in html and "Abeg how much is delivery to Yaba?" in html
    r = await client.post(
        f"{base}/profile",
        data={
            "greetings": "Hi love",
            "sign_offs": "Stay fab",
            "formality": "casual",
            "languages": "English",
            "emoji_rate": "0.3",
            "max_length": "400",
        },
    )
    assert r.status_code == 303
    html = (await client.get(base)).text
    assert "Hi love" in html and "Stay fab" in html
    r = await client.post(
        f"{base}/chat-export", files={"file": ("c.txt", b"")}, data={"business_name": "x"}
    )
    assert "error=" in r.headers["location"]
