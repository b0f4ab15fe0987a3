"""The visitor API the embed script calls: Origin checks, visitor tokens, messages, uploads,
rate limits, the embed script itself."""

from __future__ import annotations

import gzip
import io
import zipfile

import httpx
import pytest
from sqlalchemy import func, select

from repdesk.channels.base import OutboundMessage
from repdesk.conversations import service as conversations
from repdesk.conversations.models import Conversation, Message
from repdesk.db.engine import Database
from repdesk.files.models import StoredFile
from repdesk.jobs.models import Job
from repdesk.jobs.worker import Worker
from tests.conversations.helpers import send_as
from tests.widget.conftest import ORIGIN, WidgetSetup, make_widget, vh, visitor

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def docx_bytes() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("[Content_Types].xml", "<Types/>")
        zf.writestr("word/document.xml", "<w:document/>")
    return buf.getvalue()


async def count(db: Database, model: type) -> int:
    async with db.session() as s:
        return int(await s.scalar(select(func.count()).select_from(model)) or 0)


async def test_config_only_for_allowed_origins(
    client: httpx.AsyncClient, widget_setup: WidgetSetup
) -> None:
    ok = await client.get(f"{widget_setup.api}/config", headers={"Origin": ORIGIN})
    assert ok.status_code == 200
    assert ok.headers["access-control-allow-origin"] == ORIGIN
    body = ok.json()
    assert body["businessName"] == "Web sales" and body["publicId"] == widget_setup.public_id
    assert "allowedDomains" not in body  # the public config carries nothing private
    for origin in ("https://evil.example.net", "http://localhost:8000", "null", None):
        headers = {"Origin": origin} if origin else {}
        r = await client.get(f"{widget_setup.api}/config", headers=headers)
        assert r.status_code == 403, origin
        assert r.json()["code"] == "WIDGET_ORIGIN_NOT_ALLOWED"
        assert "allowed domains" in r.json()["message"]
    unknown = await client.get("/widget/v1/wgt_nope/config", headers={"Origin": ORIGIN})
    assert unknown.status_code == 404 and unknown.json()["code"] == "WIDGET_NOT_FOUND"


async def test_wildcards_and_ports(client: httpx.AsyncClient, db: Database) -> None:
    setup = await make_widget(client, db, domains=["*.ada.test", "shop.localhost:8080"])
    cases = {
        "https://www.ada.test": 200,
        "https://a.b.ada.test": 200,
        "https://ada.test": 403,
        "https://evilada.test": 403,
        "http://shop.localhost:8080": 200,
        "http://shop.localhost:8081": 403,
        "http://shop.localhost": 403,
    }
    for origin, status in cases.items():
        r = await client.get(f"{setup.api}/config", headers={"Origin": origin})
        assert r.status_code == status, origin


async def test_preflight_allows_the_widget_headers(
    client: httpx.AsyncClient, widget_setup: WidgetSetup
) -> None:
    r = await client.options(
        f"{widget_setup.api}/messages",
        headers={
            "Origin": ORIGIN,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type,x-widget-token",
        },
    )
    assert r.status_code == 204
    assert "X-Widget-Token" in r.headers["access-control-allow-headers"]


async def test_visitor_message_is_stored_once_and_starts_the_ai_reply(
    client: httpx.AsyncClient, db: Database, widget_setup: WidgetSetup
) -> None:
    token = await visitor(client, widget_setup)
    send = {"text": "Do you deliver to Ikeja?", "clientId": "m-1"}
    r = await client.post(f"{widget_setup.api}/messages", json=send, headers=vh(token))
    assert r.status_code == 201, r.text
    msg = r.json()
    assert msg["clientId"] == "m-1" and msg["direction"] == "in" and msg["text"] == send["text"]
    again = await client.post(f"{widget_setup.api}/messages", json=send, headers=vh(token))
    assert again.json()["id"] == msg["id"]  # idempotent on the client's id
    async with db.session() as s:
        conv = await s.scalar(select(Conversation))
        assert conv is not None and conv.channel == "widget"
        assert (await s.scalar(select(func.count()).select_from(Message))) == 1
        jobs = list(await s.scalars(select(Job).where(Job.kind == "ai.reply")))
        assert [j.payload["messageId"] for j in jobs] == [msg["id"]]
    history = await client.get(f"{widget_setup.api}/messages", headers=vh(token))
    assert [m["id"] for m in history.json()["data"]] == [msg["id"]]
    # The same session token resumes the same visitor.
    same = await client.post(
        f"{widget_setup.api}/session", json={"token": token}, headers={"Origin": ORIGIN}
    )
    assert same.json()["token"] == token and same.json()["new"] is False


async def test_bad_visitor_input_gets_clear_errors(
    client: httpx.AsyncClient, db: Database, widget_setup: WidgetSetup
) -> None:
    token = await visitor(client, widget_setup)
    api = widget_setup.api
    cases = [
        (
            await client.post(f"{api}/messages", json={"text": "x" * 2001}, headers=vh(token)),
            400,
            "MESSAGE_TOO_LONG",
        ),
        (
            await client.post(f"{api}/messages", json={"text": "   "}, headers=vh(token)),
            400,
            "VALIDATION_ERROR",
        ),
        (
            await client.post(
                f"{api}/messages", json={"text": "hi", "clientId": "bad id!"}, headers=vh(token)
            ),
            400,
            "VALIDATION_ERROR",
        ),
        (
            await client.post(f"{api}/messages", json={"text": "hi"}, headers=vh(token + "x")),
            401,
            "INVALID_VISITOR_TOKEN",
        ),
        (
            await client.post(
                f"{api}/messages", json={"text": "hi"}, headers=vh(token, "https://evil.test")
            ),
            403,
            "WIDGET_ORIGIN_NOT_ALLOWED",
        ),
    ]
    for r, status, code in cases:
        assert r.status_code == status, r.text
        assert r.json()["code"] == code
    assert await count(db, Message) == 0


async def test_a_token_from_another_widget_is_refused(
    client: httpx.AsyncClient, db: Database
) -> None:
    one = await make_widget(client, db)
    r = await client.post("/api/assistants", json={"name": "Other", "platform": "widget"})
    other_id = r.json()["id"]
    other = (
        await client.patch(
            f"/api/assistants/{other_id}/widget", json={"allowedDomains": ["shop.example.com"]}
        )
    ).json()
    token = await visitor(client, one)
    r = await client.get(f"/widget/v1/{other['publicId']}/messages", headers=vh(token))
    assert r.status_code == 401


async def test_uploads_are_typed_by_their_bytes(
    client: httpx.AsyncClient, db: Database, widget_setup: WidgetSetup
) -> None:
    token = await visitor(client, widget_setup)
    url = f"{widget_setup.api}/files"
    r = await client.post(
        url,
        headers=vh(token),
        data={"clientId": "f1"},
        files={"file": ("receipt.txt", PNG, "text/plain")},
    )
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["type"] == "image" and body["attachment"]["mimeType"] == "image/png"
    assert body["attachment"]["filename"] == "receipt.txt.png"
    doc = await client.post(
        url, headers=vh(token), files={"file": ("cv.docx", docx_bytes(), "application/pdf")}
    )
    assert doc.json()["attachment"]["mimeType"].endswith("wordprocessingml.document")
    pdf = await client.post(
        url, headers=vh(token), files={"file": ("a.pdf", PDF, "application/pdf")}
    )
    assert pdf.json()["type"] == "document"
    files_before, messages_before = await count(db, StoredFile), await count(db, Message)
    for name, data in (
        ("evil.pdf", b"<html><script>alert(1)</script></html>"),
        ("x.exe", b"MZ\x90\x00\x03\x00\x00\x00\x04\x00"),
        ("zip.docx", b"PK\x03\x04not really a zip"),
    ):
        bad = await client.post(
            url, headers=vh(token), files={"file": (name, data, "application/pdf")}
        )
        assert bad.status_code == 415 and bad.json()["code"] == "UNSUPPORTED_FILE_TYPE", name
    assert (await count(db, StoredFile), await count(db, Message)) == (
        files_before,
        messages_before,
    )
    # The visitor can fetch the files of their own conversation, nobody else can.
    got = await client.get(
        f"{widget_setup.api}/files/{body['attachment']['fileId']}", headers=vh(token)
    )
    assert got.status_code == 200 and got.content == PNG
    assert got.headers["x-content-type-options"] == "nosniff"
    stranger = await visitor(client, widget_setup)
    denied = await client.get(
        f"{widget_setup.api}/files/{body['attachment']['fileId']}", headers=vh(stranger)
    )
    assert denied.status_code == 404


async def test_oversized_upload_is_refused_and_nothing_is_stored(
    client: httpx.AsyncClient,
    db: Database,
    widget_setup: WidgetSetup,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("REPDESK_WIDGET_MAX_UPLOAD_BYTES", "1000")
    token = await visitor(client, widget_setup)
    r = await client.post(
        f"{widget_setup.api}/files",
        headers=vh(token),
        files={"file": ("big.pdf", PDF + b"x" * 2000, "application/pdf")},
    )
    assert r.status_code == 413 and r.json()["code"] == "FILE_TOO_LARGE"
    assert await count(db, StoredFile) == 0 and await count(db, Message) == 0


async def test_file_sharing_off_refuses_uploads(
    client: httpx.AsyncClient, widget_setup: WidgetSetup
) -> None:
    await client.patch(
        f"/api/assistants/{widget_setup.assistant_id}/widget", json={"filesEnabled": False}
    )
    token = await visitor(client, widget_setup)
    r = await client.post(
        f"{widget_setup.api}/files",
        headers=vh(token),
        files={"file": ("a.pdf", PDF, "application/pdf")},
    )
    assert r.status_code == 403 and r.json()["code"] == "WIDGET_FEATURE_DISABLED"
    cfg = (await client.get(f"{widget_setup.api}/config", headers={"Origin": ORIGIN})).json()
    assert cfg["filesEnabled"] is False


async def test_rate_limit_per_visitor(
    client: httpx.AsyncClient, widget_setup: WidgetSetup, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("REPDESK_WIDGET_VISITOR_RATE_LIMIT", "3/minute")
    token = await visitor(client, widget_setup)
    statuses = [
        (
            await client.post(
                f"{widget_setup.api}/messages", json={"text": f"hi {i}"}, headers=vh(token)
            )
        ).status_code
        for i in range(4)
    ]
    assert statuses == [201, 201, 201, 429]
    other = await visitor(client, widget_setup)  # another visitor is not affected
    r = await client.post(f"{widget_setup.api}/messages", json={"text": "hello"}, headers=vh(other))
    assert r.status_code == 201


async def test_rate_limit_per_ip(
    client: httpx.AsyncClient, widget_setup: WidgetSetup, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("REPDESK_WIDGET_IP_RATE_LIMIT", "5/minute")
    codes = [
        (await client.get(f"{widget_setup.api}/config", headers={"Origin": ORIGIN})).status_code
        for _ in range(6)
    ]
    assert codes[-1] == 429 and codes[:5] == [200] * 5


async def test_rate_limit_per_ip_believes_x_forwarded_for_only_from_trusted_proxies(
    app, client: httpx.AsyncClient, widget_setup: WidgetSetup, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("REPDESK_WIDGET_IP_RATE_LIMIT", "3/minute")

    async def config(forwarded_for: str) -> int:
        headers = {"Origin": ORIGIN, "X-Forwarded-For": forwarded_for}
        return (await client.get(f"{widget_setup.api}/config", headers=headers)).status_code

    # Default (no trusted proxies): a rotating header is still one client, 127.0.0.1.
    assert [await config(f"203.0.113.{n}") for n in range(4)] == [200, 200, 200, 429]
    # Behind a configured proxy (the test client's address), each forwarded client is its own.
    app.state.settings.trusted_proxies = "127.0.0.1"
    assert [await config(f"198.51.100.{n}") for n in range(4)] == [200] * 4
    assert [await config("198.51.100.0") for _ in range(3)] == [200, 200, 429]


async def test_agent_reply_is_pushed_to_the_visitor_topic(
    app, client: httpx.AsyncClient, db: Database, worker: Worker, widget_setup: WidgetSetup
) -> None:
    token = await visitor(client, widget_setup)
    sent = await client.post(
        f"{widget_setup.api}/messages", json={"text": "Is anyone there?"}, headers=vh(token)
    )
    assert sent.status_code == 201
    visitor_id = token.split(".")[0]
    async with app.state.bus.subscribe(f"widget:{visitor_id}") as sub:
        async with db.transaction() as s:
            conv = await s.scalar(select(Conversation))
            assert conv is not None
            await conversations.set_automation(s, conv, False)
            out = await send_as(
                s,
                conversation=conv,
                outbound=OutboundMessage(type="text", text="Yes, **Ada** here."),
                sender="agent",
            )
        await worker.drain()
        frames = []
        while not sub.queue.empty():
            frames.append(sub.queue.get_nowait())
    pushed = [f for f in frames if f["type"] == "message" and f["message"]["id"] == out.id]
    assert pushed and pushed[0]["message"]["text"] == "Yes, **Ada** here."
    assert pushed[0]["message"]["sender"] == "agent"
    async with db.session() as s:
        stored = await s.get(Message, out.id)
        assert (
            stored is not None and stored.status == "sent" and stored.external_id.startswith("wm_")
        )
    history = (await client.get(f"{widget_setup.api}/messages", headers=vh(token))).json()["data"]
    assert history[-1]["id"] == out.id


async def test_templates_cannot_be_sent_to_a_web_visitor(
    client: httpx.AsyncClient, db: Database, widget_setup: WidgetSetup
) -> None:
    from repdesk.channels.base import OutboundTemplate
    from repdesk.kit.errors import ValidationError

    token = await visitor(client, widget_setup)
    await client.post(f"{widget_setup.api}/messages", json={"text": "hi"}, headers=vh(token))
    async with db.session() as s:
        conv = await s.scalar(select(Conversation))
        assert conv is not None
        with pytest.raises(ValidationError):
            await send_as(
                s,
                conversation=conv,
                sender="agent",
                outbound=OutboundMessage(type="template", template=OutboundTemplate(name="hello")),
            )


async def test_embed_script_is_served_small_and_cacheable(client: httpx.AsyncClient) -> None:
    r = await client.get("/widget.js", headers={"Accept-Encoding": "gzip"})
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("application/javascript")
    assert r.headers["content-encoding"] == "gzip"
    assert int(r.headers["content-length"]) <= 25 * 1024
    plain = await client.get("/widget.js", headers={"Accept-Encoding": "identity"})
    assert len(gzip.compress(plain.content)) <= 25 * 1024
    assert b"attachShadow" in plain.content and b".innerHTML" not in plain.content
