"""A workspace's AI endpoint goes through the URL guard: refused at save time when it is not
public, and never reached at connect time when its name now resolves to a private address."""

from __future__ import annotations

import httpx
import pytest
from sqlalchemy import select

from repdesk.ai.models import LLMCall, WorkspaceAI
from repdesk.config import Settings
from repdesk.db.engine import Database
from tests.ai.conftest import DemoShop
from tests.fakes.openai_server import FakeLLM

SECRET = "SECRET-FROM-THE-PRIVATE-SERVER"


@pytest.fixture
def default_reach(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    """The shipped default: tenants may not point the AI at private addresses."""
    monkeypatch.setattr(settings, "ai_allow_private_urls", False)


@pytest.mark.parametrize(
    "base_url",
    [
        "http://127.0.0.1:{port}/v1",
        "http://localhost:{port}/v1",
        "http://169.254.169.254/latest",
        "http://[::1]:{port}/v1",
        "http://0x7f000001:{port}/v1",
        "http://2130706433:{port}/v1",
        "http://10.0.0.7/v1",
        "http://100.64.1.1/v1",
        "http://[2002:7f00:1::]/v1",
        "http://[64:ff9b::7f00:1]/v1",
    ],
)
async def test_a_private_base_url_is_refused_and_nothing_is_stored(
    client: httpx.AsyncClient,
    db: Database,
    shop: DemoShop,
    llm: FakeLLM,
    default_reach: None,
    base_url: str,
) -> None:
    port = llm.url.rsplit(":", 1)[1]
    r = await client.put(
        "/api/workspace/ai",
        json={"provider": "openai", "baseUrl": base_url.format(port=port), "model": "m"},
    )
    assert r.status_code == 400, r.text
    assert r.json()["code"] == "VALIDATION_ERROR"
    assert r.json()["message"].startswith("baseUrl: ")
    async with db.session() as s:
        assert await s.scalar(select(WorkspaceAI)) is None


async def test_the_settings_page_shows_the_refusal(
    client: httpx.AsyncClient, shop: DemoShop, llm: FakeLLM, default_reach: None
) -> None:
    csrf = client.cookies.get("repdesk_csrf") or ""
    r = await client.post(
        "/settings/ai",
        data={
            "provider": "openai",
            "base_url": llm.url + "/v1",
            "model": "m",
            "csrf_token": csrf,
        },
    )
    assert r.status_code == 303
    page = await client.get(r.headers["location"])
    assert "baseUrl: must resolve to a public address" in page.text


@pytest.mark.parametrize("provider", ["openai", "anthropic"])
async def test_a_rebound_name_never_reaches_the_private_server_from_the_playground(
    client: httpx.AsyncClient,
    db: Database,
    shop: DemoShop,
    llm: FakeLLM,
    default_reach: None,
    monkeypatch: pytest.MonkeyPatch,
    provider: str,
) -> None:
    """The name resolved to a public address when it was saved; it now resolves to the
    private server (DNS rebinding): the playground answers without it, and shows nothing of
    what it would have said."""
    from repdesk.kit import urlguard

    port = llm.url.rsplit(":", 1)[1]

    async def public(host: str, port: int) -> list[str]:
        return ["93.184.215.14"]

    async def private(host: str, port: int) -> list[str]:
        return ["127.0.0.1"]

    monkeypatch.setattr(urlguard, "resolver", public)
    base = f"http://llm.rebind.test:{port}" + ("/v1" if provider == "openai" else "")
    r = await client.put(
        "/api/workspace/ai",
        json={"provider": provider, "baseUrl": base, "model": "fake-model", "timeoutSeconds": 5},
    )
    assert r.status_code == 200, r.text
    monkeypatch.setattr(urlguard, "resolver", private)
    llm.script(llm.text(SECRET))
    r = await client.post(
        f"/api/assistants/{shop.assistant.id}/playground", json={"text": "When do you open?"}
    )
    assert r.status_code == 200, r.text
    assert SECRET not in r.text
    assert llm.requests == []  # the private server was never called
    async with db.session() as s:
        calls = list(await s.scalars(select(LLMCall)))
    assert calls and all(c.status == "error" for c in calls)


async def test_a_stored_private_url_is_not_called_either(
    client: httpx.AsyncClient, db: Database, shop: DemoShop, llm: FakeLLM, default_reach: None
) -> None:
    """A row saved before the guard existed (or by hand) is checked where it connects."""
    async with db.transaction() as s:
        s.add(
            WorkspaceAI(
                workspace_id=shop.account.workspace_id,
                provider="openai",
                base_url=llm.url + "/v1",
                model="fake-model",
                timeout_seconds=5,
            )
        )
    llm.script(llm.text(SECRET))
    r = await client.post(
        f"/api/assistants/{shop.assistant.id}/playground", json={"text": "When do you open?"}
    )
    assert r.status_code == 200 and SECRET not in r.text
    assert llm.requests == []


async def test_the_operator_may_allow_private_ai_endpoints(
    client: httpx.AsyncClient, shop: DemoShop, llm: FakeLLM, settings: Settings
) -> None:
    assert settings.ai_allow_private_urls  # the test settings allow the local fake
    r = await client.put(
        "/api/workspace/ai",
        json={"provider": "openai", "baseUrl": llm.url + "/v1", "model": "fake-model"},
    )
    assert r.status_code == 200, r.text
    llm.script(llm.text("We open at 9am."))
    r = await client.post(
        f"/api/assistants/{shop.assistant.id}/playground", json={"text": "When do you open?"}
    )
    assert r.json()["replies"][0]["text"] == "We open at 9am."
    r = await client.put(
        "/api/workspace/ai",
        json={"provider": "openai", "baseUrl": "http://169.254.169.254/v1", "model": "m"},
    )
    assert r.status_code == 400  # link-local (cloud metadata) stays refused
