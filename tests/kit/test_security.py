"""The web layer's security middleware: headers on every response, the Origin check on
state-changing requests, and request bodies refused as soon as they pass their limit."""

from __future__ import annotations

import io
import json
import os
import re
import zipfile
from collections.abc import AsyncIterator

import httpx
import pytest
import pytest_asyncio

from repdesk.db.engine import Database
from tests.factories import Account, signed_in
from tests.knowledge.pdfgen import make_docx

MiB = 1024 * 1024


@pytest_asyncio.fixture
async def owner(client: httpx.AsyncClient, db: Database) -> Account:
    return await signed_in(client, db)


@pytest_asyncio.fixture
async def assistant_id(client: httpx.AsyncClient, owner: Account) -> str:
    r = await client.post("/api/assistants", json={"name": "Shop", "platform": "widget"})
    assert r.status_code == 201, r.text
    return str(r.json()["id"])


def _nonce(response: httpx.Response) -> str:
    csp = response.headers["content-security-policy"]
    found = re.search(r"script-src 'self' 'nonce-([A-Za-z0-9_-]+)'", csp)
    assert found, csp
    return found.group(1)


def _directive(response: httpx.Response, name: str) -> str:
    for part in response.headers["content-security-policy"].split(";"):
        key, _, value = part.strip().partition(" ")
        if key == name:
            return value
    raise AssertionError(f"no {name} in the policy")


async def test_every_response_carries_the_security_headers(
    client: httpx.AsyncClient, owner: Account, assistant_id: str
) -> None:
    for path in ("/login", "/", "/api/workspace/ai", "/api/nothing-here", "/v1/openapi.json"):
        r = await client.get(path)
        assert r.headers["x-content-type-options"] == "nosniff", path
        assert r.headers["referrer-policy"] == "strict-origin-when-cross-origin", path
        assert _directive(r, "frame-ancestors") == "'none'", path
        assert _directive(r, "object-src") == "'none'", path
        assert "unsafe-inline" not in _directive(r, "script-src"), path
        assert "unsafe-inline" not in _directive(r, "style-src"), path


@pytest.mark.parametrize(
    "path",
    [
        "/assistants/{a}/playground",
        "/assistants/{a}/widget",
        "/v1/reference",
        "/settings/ai",
        "/assistants/{a}/knowledge",
        "/assistants/{a}/messages",
    ],
)
async def test_inline_scripts_and_styles_carry_this_responses_nonce(
    client: httpx.AsyncClient, assistant_id: str, path: str
) -> None:
    r = await client.get(path.format(a=assistant_id))
    assert r.status_code == 200, r.text
    nonce = _nonce(r)
    assert nonce != _nonce(await client.get(path.format(a=assistant_id)))  # per response
    for tag in re.findall(r"<(?:script|style)\b[^>]*>", r.text):
        if "src=" in tag or 'type="application/json"' in tag:
            continue  # our own files ('self'), or data that never runs
        assert f'nonce="{nonce}"' in tag, tag
    assert not re.search(r"\son[a-z]+\s*=", r.text)  # no inline event handlers
    assert not re.search(r"<[a-z][^>]*\sstyle\s*=", r.text)  # no style attributes


async def test_a_cross_site_write_is_refused_before_it_changes_anything(
    client: httpx.AsyncClient, owner: Account
) -> None:
    body = {"provider": "builtin"}
    for headers in (
        {"Origin": "https://evil.example"},
        {"Origin": "null"},
        {"Origin": "http://testserver.evil.example"},
        {"Referer": "https://evil.example/page"},
    ):
        r = await client.put("/api/workspace/ai", json=body, headers=headers)
        assert r.status_code == 403, (headers, r.text)
        assert r.json()["code"] == "CSRF_FAILED"
    r = await client.get("/api/workspace/ai")
    assert r.json()["source"] == "operator"  # nothing was saved
    # A page form too, signed in or not.
    r = await client.post(
        "/logout", data={"csrf_token": owner.csrf}, headers={"Origin": "https://evil.example"}
    )
    assert r.status_code == 403
    r = await client.post(
        "/login",
        data={"email": owner.email, "password": owner.password},
        headers={"Origin": "https://evil.example"},
    )
    assert r.status_code == 403
    # The same origin (and no Origin at all, as non-browser clients send) is fine.
    for headers in ({"Origin": "http://testserver"}, {"Referer": "http://testserver/x"}, {}):
        r = await client.put("/api/workspace/ai", json=body, headers=headers)
        assert r.status_code == 200, (headers, r.text)


async def test_bearer_signed_and_widget_routes_are_not_origin_checked(
    client: httpx.AsyncClient,
) -> None:
    evil = {"Origin": "https://evil.example"}
    r = await client.post("/v1/messages/send", json={}, headers=evil)
    assert r.status_code == 401  # the API key decides, not the Origin
    r = await client.post("/webhooks/whatsapp", content=b"{}", headers=evil)
    assert r.json().get("code") != "CSRF_FAILED"
    r = await client.post("/widget/v1/wgt_unknown/session", json={}, headers=evil)
    assert r.json().get("code") != "CSRF_FAILED"


class Body:
    """A 100 MB request body, produced lazily; counts what the server pulled."""

    def __init__(self, total: int = 100 * MiB, chunk: int = 64 * 1024) -> None:
        self.total, self.chunk, self.sent = total, chunk, 0

    async def __aiter__(self) -> AsyncIterator[bytes]:
        while self.sent < self.total:
            self.sent += self.chunk
            yield b"x" * self.chunk


async def test_a_huge_json_body_is_refused_once_it_passes_the_limit(
    client: httpx.AsyncClient, owner: Account
) -> None:
    body = Body()
    r = await client.put(
        "/api/workspace/ai", content=body, headers={"Content-Type": "application/json"}
    )
    assert r.status_code == 413, r.text
    assert r.json()["code"] == "PAYLOAD_TOO_LARGE" and r.json()["docs"]
    assert body.sent <= 1 * MiB + body.chunk  # stopped reading at the 1 MiB limit


async def test_a_huge_body_is_refused_before_authentication(client: httpx.AsyncClient) -> None:
    body = Body()
    r = await client.put(
        "/api/workspace/ai", content=body, headers={"Content-Type": "application/json"}
    )
    assert r.status_code == 413  # not 401: the body never reached authentication
    assert body.sent <= 1 * MiB + body.chunk


async def test_a_content_length_over_the_limit_is_refused_without_reading(
    client: httpx.AsyncClient, owner: Account
) -> None:
    body = Body()
    r = await client.put(
        "/api/workspace/ai",
        content=body,
        headers={"Content-Type": "application/json", "Content-Length": str(body.total)},
    )
    assert r.status_code == 413 and r.json()["code"] == "PAYLOAD_TOO_LARGE"
    assert body.sent == 0


async def test_uploads_within_their_route_limit_still_work(
    client: httpx.AsyncClient, assistant_id: str
) -> None:
    """A 3 MB document is over the JSON default but within REPDESK_KNOWLEDGE_MAX_UPLOAD_MB."""
    buffer = io.BytesIO(make_docx(["Opening hours", "We open at 9am every day."]))
    with zipfile.ZipFile(buffer, "a") as docx:  # an embedded file nobody reads: 3 MB
        docx.writestr("word/media/pad.bin", os.urandom(3 * MiB), zipfile.ZIP_STORED)
    r = await client.post(
        f"/api/assistants/{assistant_id}/knowledge/files",
        files={"file": ("hours.docx", buffer.getvalue(), "application/octet-stream")},
    )
    assert r.status_code == 201, r.text[:300]
    r = await client.post(
        f"/api/assistants/{assistant_id}/knowledge/files",
        files={"file": ("big.txt", b"x" * (11 * MiB), "text/plain")},
    )
    assert r.status_code == 413  # over the route's 10 MB


async def test_the_longest_knowledge_text_fits_its_limit_even_json_escaped(
    client: httpx.AsyncClient, assistant_id: str
) -> None:
    """200,000 characters (the content limit) of Yoruba, \\u-escaped: 1.2 MB of JSON, over the
    1 MiB default but within the knowledge routes' limit."""
    body = json.dumps({"type": "text", "title": "Ẹ káàbọ̀", "content": "ẹ" * 200_000})
    assert len(body) > MiB
    r = await client.post(
        f"/api/assistants/{assistant_id}/knowledge",
        content=body.encode(),
        headers={"Content-Type": "application/json"},
    )
    assert r.status_code == 201, r.text[:300]
