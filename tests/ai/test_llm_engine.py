"""The LLM engine against a scripted OpenAI-compatible (and Anthropic) server."""

from __future__ import annotations

from typing import Any

import httpx
from sqlalchemy import select

from repdesk.ai.models import LLMCall, WorkspaceAI
from repdesk.catalog import service as catalog
from repdesk.db.engine import Database
from tests.ai.conftest import DemoShop
from tests.fakes.openai_server import FakeLLM

API_KEY = "sk-test-secret-123"


async def _use_llm(
    client: httpx.AsyncClient, fake: FakeLLM, provider: str = "openai", timeout: int = 5
) -> None:
    base = fake.url + "/v1" if provider == "openai" else fake.url
    r = await client.put(
        "/api/workspace/ai",
        json={
            "provider": provider,
            "baseUrl": base,
            "model": "fake-model",
            "apiKey": API_KEY,
            "timeoutSeconds": timeout,
        },
    )
    assert r.status_code == 200, r.text


async def _say(
    client: httpx.AsyncClient, shop: DemoShop, text: str, sid: str | None = None
) -> dict:
    body: dict[str, Any] = {"text": text} | ({"sessionId": sid} if sid else {})
    r = await client.post(f"/api/assistants/{shop.assistant.id}/playground", json=body)
    assert r.status_code == 200, r.text
    return r.json()


async def _calls(db: Database) -> list[LLMCall]:
    async with db.session() as s:
        return list((await s.scalars(select(LLMCall).order_by(LLMCall.id))).all())


async def test_settings_store_the_key_encrypted_and_never_return_it(
    client: httpx.AsyncClient, db: Database, shop: DemoShop, llm: FakeLLM
) -> None:
    r = await client.get("/api/workspace/ai")
    assert r.json()["provider"] == "builtin" and r.json()["source"] == "operator"
    await _use_llm(client, llm)
    body = (await client.get("/api/workspace/ai")).json()
    assert body == {
        "provider": "openai",
        "baseUrl": llm.url + "/v1",
        "model": "fake-model",
        "hasApiKey": True,
        "timeoutSeconds": 5,
        "source": "workspace",
    }
    async with db.session() as s:
        row = await s.scalar(select(WorkspaceAI))
    assert row is not None and row.api_key_encrypted and API_KEY not in row.api_key_encrypted
    r = await client.put("/api/workspace/ai", json={"provider": "openai", "model": ""})
    assert r.status_code == 400 and r.json()["code"] == "VALIDATION_ERROR"
    r = await client.put("/api/workspace/ai", json={"provider": "magic"})
    assert r.status_code == 400
    r = await client.put(
        "/api/workspace/ai", json={"provider": "openai", "model": "m", "baseUrl": "ftp://x"}
    )
    assert r.status_code == 400


async def test_a_grounded_llm_reply_is_sent_and_the_call_is_recorded(
    client: httpx.AsyncClient, db: Database, shop: DemoShop, llm: FakeLLM
) -> None:
    await _use_llm(client, llm)
    llm.script(llm.text("The *Ankara Maxi Dress* is ₦18,500 in S and M."))
    out = await _say(client, shop, "How much is the maxi dress?")
    assert out["replies"][0]["text"] == "The *Ankara Maxi Dress* is ₦18,500 in S and M."
    req = llm.requests[0]
    assert req["model"] == "fake-model"
    assert req["messages"][0]["role"] == "system"
    assert "Tee's Closet" in req["messages"][0]["content"]
    assert {t["function"]["name"] for t in req["tools"]} >= {
        "search_knowledge",
        "find_products",
        "get_product",
        "update_draft_order",
        "escalate",
    }
    assert llm.headers[0]["authorization"] == f"Bearer {API_KEY}"
    calls = await _calls(db)
    assert len(calls) == 1
    c = calls[0]
    assert (c.provider, c.model, c.prompt_tokens, c.completion_tokens, c.status) == (
        "openai",
        "fake-model",
        120,
        30,
        "ok",
    )


async def test_replies_reuse_one_connection_to_the_provider_until_its_settings_change(
    client: httpx.AsyncClient, shop: DemoShop, llm: FakeLLM
) -> None:
    await _use_llm(client, llm)
    llm.script(llm.text("We open at 9am."), llm.text("We open at 9am."))
    await _say(client, shop, "When do you open?")
    await _say(client, shop, "When do you open?")
    assert len(llm.peers) == 2 and llm.peers[0] == llm.peers[1]  # one kept-alive connection
    # New settings (another key) are another client: the new key is sent, not the old one.
    r = await client.put(
        "/api/workspace/ai",
        json={
            "provider": "openai",
            "baseUrl": llm.url + "/v1",
            "model": "fake-model",
            "apiKey": "sk-other-key-456",
            "timeoutSeconds": 5,
        },
    )
    assert r.status_code == 200, r.text
    llm.script(llm.text("We open at 9am."))
    await _say(client, shop, "When do you open?")
    assert llm.headers[2]["authorization"] == "Bearer sk-other-key-456"
    assert llm.peers[2] != llm.peers[0]


async def test_an_invented_price_is_caught_and_never_sent(
    client: httpx.AsyncClient, shop: DemoShop, llm: FakeLLM
) -> None:
    await _use_llm(client, llm)
    llm.script(llm.text("Great news, the Ankara Maxi Dress is only ₦15,000 today!"))
    out = await _say(client, shop, "How much is the ankara maxi dress?")
    text = out["replies"][0]["text"]
    assert "₦15,000" not in text
    assert "₦18,500" in text  # the built-in engine answered from the catalog instead


async def test_tool_calls_search_the_catalog(
    client: httpx.AsyncClient, shop: DemoShop, llm: FakeLLM
) -> None:
    await _use_llm(client, llm)
    llm.script(
        llm.tool_call("find_products", {"query": "shea butter"}),
        llm.text("Shea Butter: 250g is ₦3,500 and 500g is ₦6,000."),
    )
    out = await _say(client, shop, "shea butter price?")
    assert out["replies"][0]["text"].startswith("Shea Butter: 250g is ₦3,500")
    second = llm.requests[1]["messages"]
    tool_msg = next(m for m in second if m["role"] == "tool")
    assert "₦6,000" in tool_msg["content"] and "500g" in tool_msg["content"]


async def test_malformed_tool_arguments_get_an_error_result_not_a_crash(
    client: httpx.AsyncClient, shop: DemoShop, llm: FakeLLM
) -> None:
    await _use_llm(client, llm)
    llm.script(llm.tool_call("find_products", "{not json"), llm.text("Which product do you mean?"))
    out = await _say(client, shop, "price?")
    assert out["replies"][0]["text"] == "Which product do you mean?"
    tool_msg = next(m for m in llm.requests[1]["messages"] if m["role"] == "tool")
    assert "invalid arguments" in tool_msg["content"]


async def test_429_500_and_timeouts_fall_back_to_the_builtin_engine(
    client: httpx.AsyncClient, db: Database, shop: DemoShop, llm: FakeLLM
) -> None:
    await _use_llm(client, llm, timeout=1)
    llm.script(llm.error(429), llm.error(500), llm.slow(2.5))
    for _ in range(3):
        out = await _say(client, shop, "How much is black soap?")
        assert "₦2,000" in out["replies"][0]["text"]
    statuses = [c.status for c in await _calls(db)]
    assert statuses == ["rate_limited", "error", "timeout"]


async def test_orders_through_tools_become_test_orders_in_the_playground(
    client: httpx.AsyncClient, db: Database, shop: DemoShop, llm: FakeLLM
) -> None:
    async with db.session() as s:
        products = await catalog.list_products(s, assistant_id=shop.assistant.id)
    perfume = next(p for p in products if p.name == "Oud Royale Perfume")
    await _use_llm(client, llm)
    llm.script(
        llm.tool_call(
            "update_draft_order",
            {
                "items": [{"productId": perfume.id, "quantity": 2}],
                "customerName": "Chidi Eze",
                "phone": "07012345678",
                "deliveryMethod": "pickup",
            },
        ),
        llm.text("2 × Oud Royale Perfume: ₦90,000, pickup is free. Total ₦90,000. Confirm?"),
        llm.tool_call("confirm_order", {}),
        llm.text("Done! Your order is placed. Total ₦90,000."),
    )
    out = await _say(client, shop, "I want 2 oud perfumes, Chidi Eze 07012345678, pickup")
    assert "₦90,000" in out["replies"][0]["text"]
    tool_msg = next(m for m in llm.requests[1]["messages"] if m["role"] == "tool")
    assert '"total": "₦90,000"' in tool_msg["content"]
    out = await _say(client, shop, "yes", out["sessionId"])
    assert out["actions"][0]["type"] == "create_order" and out["actions"][0]["total"] == 9000000
    assert out["actions"][0]["test"] is True


async def test_anthropic_messages_api_with_tools(
    client: httpx.AsyncClient, db: Database, shop: DemoShop, llm: FakeLLM
) -> None:
    await _use_llm(client, llm, provider="anthropic")
    llm.script(
        llm.tool_call("search_knowledge", {"query": "delivery Abuja"}),
        llm.text("Delivery to Abuja is ₦4,500 and takes 3 to 5 working days."),
    )
    out = await _say(client, shop, "Do you deliver to Abuja?")
    assert out["replies"][0]["text"].startswith("Delivery to Abuja is ₦4,500")
    assert llm.headers[0]["x-api-key"] == API_KEY and llm.headers[0]["anthropic-version"]
    second = llm.requests[1]
    assert second["messages"][-1]["content"][0]["type"] == "tool_result"
    assert second["system"].startswith("You are the customer assistant")
    calls = await _calls(db)
    assert [(c.provider, c.prompt_tokens, c.completion_tokens) for c in calls] == [
        ("anthropic", 110, 25),
        ("anthropic", 110, 25),
    ]
