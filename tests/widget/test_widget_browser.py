"""The widget in a real Chromium, embedded by a plain HTML page served from another origin."""

from __future__ import annotations

import functools
import http.server
import re
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from repdesk.db.engine import Database
from tests.conftest import CHROMIUM, CHROMIUM_ARGS, LiveServer
from tests.factories import create_account, create_assistant, run_sync
from tests.fakes.transcription import FakeTranscription

pytestmark = pytest.mark.browser

WAV = Path(__file__).parent / "fixtures" / "open_saturday.wav"
PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f"
    b"\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\xcf\xc0\xf0\x1f\x00\x05\x00\x01\xff\x89\x99=\x1d"
    b"\x00\x00\x00\x00IEND\xaeB`\x82"
)
HOSTILE_CSS = """
* { font-family: "Comic Sans MS", cursive !important; color: #ff0000 !important;
    line-height: 3 !important; box-sizing: content-box !important; }
button { background: #00ff00 !important; padding: 40px !important; width: 300px !important;
         border-radius: 0 !important; }
div { border: 7px solid #ff00ff !important; margin: 20px !important; }
"""


class HostSite:
    """Another origin: a plain static server for the pages that embed the snippet."""

    def __init__(self, root: Path) -> None:
        self.root = root
        handler = functools.partial(_QuietHandler, directory=str(root))
        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.port = self.httpd.server_address[1]
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def page(self, name: str, snippet: str, css: str = "", body: str = "") -> str:
        html = (
            f"<!doctype html><html><head><meta name='viewport' content='width=device-width'>"
            f"<title>Shop</title><style>{css}</style></head><body><h1>Ada's Fabrics</h1>"
            f"{body}{snippet}</body></html>"
        )
        (self.root / name).write_text(html)
        return f"http://127.0.0.1:{self.port}/{name}"

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args: Any) -> None:
        return


@dataclass
class Shop:
    server: LiveServer
    site: HostSite
    api: httpx.Client
    assistant_id: str
    public_id: str
    embed: str

    def configure(self, **changes: Any) -> dict[str, Any]:
        r = self.api.patch(f"/api/assistants/{self.assistant_id}/widget", json=changes)
        assert r.status_code == 200, r.text
        return dict(r.json())

    def conversations(self) -> list[dict[str, Any]]:
        r = self.api.get(f"/api/assistants/{self.assistant_id}/conversations")
        assert r.status_code == 200, r.text
        return list(r.json()["data"])

    def messages(self, conversation_id: str) -> list[dict[str, Any]]:
        r = self.api.get(f"/api/conversations/{conversation_id}/messages")
        assert r.status_code == 200, r.text
        return list(r.json()["data"])


@pytest.fixture
def shop(live_server: LiveServer, database_url: str, tmp_path: Path) -> Iterator[Shop]:
    async def setup() -> str:
        db = Database(database_url)
        try:
            _, ws = await create_account(db)
            assistant = await create_assistant(
                db, workspace_id=ws.id, name="Ada's Fabrics", platform="widget"
            )
            return assistant.id
        finally:
            await db.dispose()

    assistant_id = run_sync(setup())
    site_root = tmp_path / "site"
    site_root.mkdir()
    site = HostSite(site_root)
    api = httpx.Client(
        base_url=live_server.url, timeout=60
    )  # a loaded CI machine: the live server answered in 13 s once
    r = api.post(
        "/api/auth/login", json={"email": "owner@shop.test", "password": "correct horse battery"}
    )
    assert r.status_code == 200, r.text
    api.headers["X-CSRF-Token"] = r.json()["csrfToken"]
    body = api.patch(
        f"/api/assistants/{assistant_id}/widget",
        json={"allowedDomains": [f"127.0.0.1:{site.port}"]},
    ).json()
    yield Shop(live_server, site, api, assistant_id, body["publicId"], body["embedCode"])
    api.close()
    site.stop()


def open_widget(page: Any) -> None:
    page.locator("repdesk-widget .launcher").click()
    page.locator("repdesk-widget .panel").wait_for(state="visible")


def send(page: Any, text: str) -> None:
    box = page.get_by_role("textbox", name="Message")
    box.fill(text)
    box.press("Enter")


def wait_for(predicate: Any, timeout: float = 20) -> Any:
    deadline = time.time() + timeout
    while time.time() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError("condition not met in time")


def test_widget_appears_in_the_configured_position_and_theme(shop: Shop, page: Any) -> None:
    shop.configure(
        position="bottom-left", theme="dark", color="#ff5500", businessName="Ada's Fabrics"
    )
    r = shop.api.post(
        f"/api/assistants/{shop.assistant_id}/widget/avatar",
        files={"file": ("ada.png", PNG, "image/png")},
    )
    assert r.status_code == 200, r.text
    page.goto(shop.site.page("index.html", shop.embed))
    launcher = page.locator("repdesk-widget .launcher")
    launcher.wait_for()
    box = launcher.bounding_box()
    assert box is not None
    assert box["x"] < 100 and box["y"] > 860 - 120  # bottom-left corner of a 1280x860 page
    assert launcher.evaluate("e => getComputedStyle(e).backgroundColor") == "rgb(255, 85, 0)"
    assert launcher.get_attribute("aria-expanded") == "false"
    open_widget(page)
    panel = page.locator("repdesk-widget .panel")
    assert panel.evaluate("e => getComputedStyle(e).backgroundColor") == "rgb(17, 24, 39)"  # dark
    assert page.get_by_role("dialog").get_by_role("heading").inner_text() == "Ada's Fabrics"
    avatar = page.locator("repdesk-widget .avatar")
    avatar.wait_for()
    for _ in range(50):
        if avatar.evaluate("e => e.complete && e.naturalWidth") == 1:
            break
        page.wait_for_timeout(100)
    assert avatar.evaluate("e => e.naturalWidth") == 1  # the 1x1 PNG, fetched with the Origin check
    assert page.get_by_role("textbox", name="Message").evaluate(
        "e => e === e.getRootNode().activeElement"
    )
    page.get_by_role("button", name="Send").focus()
    page.keyboard.press("Tab")  # focus stays inside the open chat
    close = page.get_by_role("button", name="Close chat", exact=True)
    assert close.evaluate("e => e === e.getRootNode().activeElement")
    page.keyboard.press("Escape")  # keyboard: closes and gives focus back to the launcher
    panel.wait_for(state="hidden")
    assert launcher.evaluate("e => e === e.getRootNode().activeElement")
    # light theme, right side
    shop.configure(position="bottom-right", theme="light")
    page.reload()
    page.locator("repdesk-widget .launcher").wait_for()
    box = page.locator("repdesk-widget .launcher").bounding_box()
    assert box is not None and box["x"] > 1280 - 120
    open_widget(page)
    assert panel.evaluate("e => getComputedStyle(e).backgroundColor") == "rgb(255, 255, 255)"


def test_phone_gets_a_full_screen_panel(shop: Shop, browser: Any) -> None:
    context = browser.new_context(viewport={"width": 390, "height": 800}, is_mobile=True)
    pg = context.new_page()
    pg.goto(shop.site.page("index.html", shop.embed))
    open_widget(pg)
    box = pg.locator("repdesk-widget .panel").bounding_box()
    assert box is not None and box["width"] == 390 and box["height"] == 800
    context.close()


def test_visitor_chats_with_the_ai_and_keeps_history_across_reloads(shop: Shop, page: Any) -> None:
    page.goto(shop.site.page("index.html", shop.embed))
    open_widget(page)
    send(page, "Hello")
    ai = page.locator("repdesk-widget .msg.out[data-sender=ai]")
    try:
        ai.first.wait_for(timeout=45000)
    except Exception as exc:  # say what the server has, to tell a slow engine from a lost push
        convs = shop.conversations()
        stored = shop.messages(convs[0]["id"]) if convs else []
        shown = page.locator("repdesk-widget .log").inner_text()
        raise AssertionError(f"no AI reply shown; stored={stored!r}; widget={shown!r}") from exc
    reply = ai.first.inner_text()
    assert len(reply) > 5
    page.reload()
    open_widget(page)
    page.locator("repdesk-widget .msg.in").first.wait_for(timeout=30000)
    assert "Hello" in page.locator("repdesk-widget .msg.in").first.inner_text()
    assert page.locator("repdesk-widget .msg.out[data-sender=ai]").first.inner_text() == reply
    # Another page of the same site continues the same conversation.
    page.goto(shop.site.page("other.html", shop.embed))
    open_widget(page)
    page.locator("repdesk-widget .msg.in").first.wait_for(timeout=30000)
    assert len(shop.conversations()) == 1


def test_no_script_in_a_message_ever_runs(shop: Shop, page: Any) -> None:
    page.goto(shop.site.page("index.html", shop.embed))
    open_widget(page)
    evil = '<img src=x onerror="window.__pwned=1"> **bold** [site](javascript:alert(1)) https://ada.test/x'
    send(page, evil)
    bubble = page.locator("repdesk-widget .msg.in").first
    bubble.wait_for()
    wait_for(lambda: bubble.get_attribute("data-id"))
    assert page.evaluate("window.__pwned") is None
    assert bubble.locator("img").count() == 0
    assert bubble.locator("strong").inner_text() == "bold"
    assert [a.get_attribute("href") for a in bubble.locator("a").all()] == ["https://ada.test/x"]
    assert '<img src=x onerror="window.__pwned=1">' in bubble.inner_text()


def test_shared_file_shows_in_the_chat_and_the_inbox(shop: Shop, page: Any, tmp_path: Path) -> None:
    pdf = tmp_path / "receipt.pdf"
    pdf.write_bytes(b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n")
    fake = tmp_path / "photo.png"
    fake.write_bytes(b"<html><script>alert(1)</script></html>")
    page.goto(shop.site.page("index.html", shop.embed))
    open_widget(page)
    page.locator("repdesk-widget input[type=file]").set_input_files(str(pdf))
    page.locator("repdesk-widget .msg.in .file").wait_for()
    assert "receipt.pdf" in page.locator("repdesk-widget .msg.in .file").inner_text()
    convs = wait_for(shop.conversations)
    assert convs[0]["channel"] == "widget"
    msgs = shop.messages(convs[0]["id"])
    doc = [m for m in msgs if m["type"] == "document"]
    assert doc and doc[0]["content"]["filename"] == "receipt.pdf"
    got = shop.api.get(f"/api/files/{doc[0]['content']['fileId']}")
    assert got.status_code == 200 and got.content.startswith(b"%PDF-")
    # A file whose bytes are not an accepted type is refused with a clear error in the widget.
    page.locator("repdesk-widget input[type=file]").set_input_files(str(fake))
    notice = page.locator("repdesk-widget .notice")
    notice.wait_for(state="visible")
    assert "cannot be shared" in notice.inner_text()
    assert (
        len([m for m in shop.messages(convs[0]["id"]) if m["type"] in ("document", "image")]) == 1
    )


def test_agent_reply_from_the_inbox_appears_without_reload(shop: Shop, page: Any) -> None:
    page.goto(shop.site.page("index.html", shop.embed))
    open_widget(page)
    send(page, "Can I talk to a person?")
    conv = wait_for(shop.conversations)[0]
    r = shop.api.patch(f"/api/conversations/{conv['id']}", json={"automationEnabled": False})
    assert r.status_code == 200, r.text
    r = shop.api.post(
        f"/api/conversations/{conv['id']}/messages", json={"text": "Hi, I'm Ada. How can I help?"}
    )
    assert r.status_code == 201, r.text
    agent = page.locator("repdesk-widget .msg.out[data-sender=agent]")
    agent.wait_for(timeout=15000)
    assert "Hi, I'm Ada. How can I help?" in agent.inner_text()
    # With the chat closed, a new reply shows as unread on the launcher.
    page.get_by_role("button", name="Close chat", exact=True).click()
    shop.api.post(f"/api/conversations/{conv['id']}/messages", json={"text": "Still there?"})
    launcher = page.locator("repdesk-widget .launcher")
    for _ in range(150):
        if "(1 unread)" in (launcher.get_attribute("aria-label") or ""):
            break
        page.wait_for_timeout(100)
    assert "(1 unread)" in (launcher.get_attribute("aria-label") or "")
    assert page.locator("repdesk-widget .badge").inner_text() == "1"


def test_host_page_css_does_not_change_the_widget_and_the_widget_css_does_not_leak(
    shop: Shop, page: Any
) -> None:
    def measure(url: str) -> dict[str, Any]:
        page.goto(url)
        page.locator("repdesk-widget .launcher").wait_for()
        open_widget(page)
        return page.evaluate("""() => {
          const root = document.querySelector('repdesk-widget').shadowRoot;
          const pick = (sel) => { const e = root.querySelector(sel); const s = getComputedStyle(e);
            const r = e.getBoundingClientRect();
            return {bg: s.backgroundColor, color: s.color, font: s.fontFamily, border: s.borderTopWidth,
                    padding: s.paddingTop, w: Math.round(r.width), h: Math.round(r.height),
                    x: Math.round(r.x), y: Math.round(r.y)}; };
          return {launcher: pick('.launcher'), panel: pick('.panel'), send: pick('.send'),
                  title: pick('.title'), input: pick('textarea')};
        }""")

    plain = measure(shop.site.page("plain.html", shop.embed, body="<div class='panel'>x</div>"))
    hostile = measure(
        shop.site.page(
            "hostile.html",
            shop.embed,
            css=HOSTILE_CSS,
            body="<div class='panel'>x</div><button class='send'>Buy</button>",
        )
    )
    assert hostile == plain
    # ...and the widget's own rules (.panel, .send) do not style the page's elements.
    page_panel = page.evaluate(
        "getComputedStyle(document.querySelector('body > div.panel')).position"
    )
    page_button = page.evaluate(
        "getComputedStyle(document.querySelector('body > button.send')).backgroundColor"
    )
    assert page_panel == "static" and page_button == "rgb(0, 255, 0)"


def test_page_on_a_domain_that_is_not_allowed_gets_no_widget_and_a_console_message(
    shop: Shop, page: Any
) -> None:
    url = shop.site.page("index.html", shop.embed).replace("127.0.0.1", "localhost")
    with page.expect_console_message(lambda m: "repdesk widget" in m.text, timeout=10000) as info:
        page.goto(url)
    text = info.value.text
    assert "not allowed on http://localhost:" in text and "WIDGET_ORIGIN_NOT_ALLOWED" in text
    assert page.locator("repdesk-widget").count() == 0
    assert page.locator("h1").inner_text() == "Ada's Fabrics"  # the host page is untouched


def test_voice_message_is_recorded_transcribed_and_answered(
    shop: Shop, browser: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake = FakeTranscription(transcript="What time do you open on Saturday?").start()
    monkeypatch.setenv("REPDESK_TRANSCRIPTION_PROVIDER", "openai")
    monkeypatch.setenv("REPDESK_TRANSCRIPTION_BASE_URL", fake.base_url)
    args = [
        *CHROMIUM_ARGS,
        "--use-fake-ui-for-media-stream",
        "--use-fake-device-for-media-stream",
        f"--use-file-for-fake-audio-capture={WAV}",
    ]
    # Chromium's fake microphone plays the wav: a second browser from the same Playwright.
    voice_browser = browser.browser_type.launch(executable_path=CHROMIUM, args=args, headless=True)
    try:
        context = voice_browser.new_context(viewport={"width": 1280, "height": 860})
        context.grant_permissions(["microphone"], origin=f"http://127.0.0.1:{shop.site.port}")
        pg = context.new_page()
        pg.set_default_timeout(20000)
        pg.goto(shop.site.page("index.html", shop.embed))
        open_widget(pg)
        mic = pg.get_by_role("button", name="Record a voice message")
        mic.click()
        pg.get_by_role("button", name="Stop recording and send").wait_for()
        pg.wait_for_timeout(3500)
        pg.get_by_role("button", name="Stop recording and send").click()
        transcript = pg.locator(
            "repdesk-widget .msg.in .meta", has_text="What time do you open on Saturday?"
        )
        transcript.wait_for(timeout=30000)
        pg.locator("repdesk-widget .msg.out[data-sender=ai]").first.wait_for(timeout=30000)
        assert len(fake.requests) == 1
        audio = fake.requests[0].audio
        assert fake.requests[0].content_type.startswith(("audio/webm", "audio/ogg"))
        assert len(audio) > 5000  # seconds of real recorded audio, not an empty blob
        conv = wait_for(shop.conversations)[0]
        voice = [m for m in shop.messages(conv["id"]) if m["type"] == "audio"]
        assert voice and voice[0]["content"]["transcript"] == "What time do you open on Saturday?"
        assert re.match(r"^[a-z0-9]+$", voice[0]["content"]["fileId"])
        context.close()
    finally:
        voice_browser.close()
        fake.stop()


def test_voice_button_is_hidden_without_transcription(
    shop: Shop, page: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("REPDESK_TRANSCRIPTION_PROVIDER", "none")
    page.goto(shop.site.page("index.html", shop.embed))
    open_widget(page)
    assert page.get_by_role("button", name="Record a voice message").count() == 0
    assert page.get_by_role("button", name="Attach a file").is_visible()


def test_sse_fallback_when_websockets_are_blocked(shop: Shop, page: Any) -> None:
    attempts: list[str] = []

    def drop(ws: Any) -> None:  # a network that upgrades, then drops every WebSocket
        attempts.append(ws.url)
        ws.close()

    page.route_web_socket(re.compile(r"/ws\?token="), drop)
    page.goto(shop.site.page("sse.html", shop.embed))
    open_widget(page)
    send(page, "Hello")
    page.locator("repdesk-widget .msg.out[data-sender=ai]").first.wait_for(timeout=20000)
    conv = wait_for(shop.conversations)[0]
    r = shop.api.patch(f"/api/conversations/{conv['id']}", json={"automationEnabled": False})
    assert r.status_code == 200
    shop.api.post(
        f"/api/conversations/{conv['id']}/messages", json={"text": "Agent here (over SSE)"}
    )
    page.locator("repdesk-widget .msg.out[data-sender=agent]").wait_for(timeout=15000)
    assert len(attempts) == 2  # two WebSocket tries, then the fallback took over


def test_sse_transport_can_be_forced(shop: Shop, page: Any) -> None:
    snippet = shop.embed.replace(" async>", ' data-transport="sse" async>')
    page.goto(shop.site.page("sse.html", snippet))
    open_widget(page)
    send(page, "Hello")
    page.locator("repdesk-widget .msg.out[data-sender=ai]").first.wait_for(timeout=20000)


def test_settings_page_live_preview_and_copy(shop: Shop, page: Any) -> None:
    cookies = [
        {"name": c.name, "value": c.value, "url": shop.server.url} for c in shop.api.cookies.jar
    ]
    page.context.add_cookies(cookies)
    page.goto(f"{shop.server.url}/assistants/{shop.assistant_id}/widget")
    preview = page.locator("#widget-preview repdesk-widget .panel")
    preview.wait_for()
    page.get_by_label("Business name shown in the header").fill("Preview Shop")
    assert page.locator("#widget-preview repdesk-widget .title").inner_text() == "Preview Shop"
    page.get_by_label("Theme").select_option("dark")
    assert preview.evaluate("e => getComputedStyle(e).backgroundColor") == "rgb(17, 24, 39)"
    assert shop.public_id in page.get_by_test_id("embed-code").inner_text()
    page.get_by_role("button", name="Save").click()
    page.get_by_text("Widget settings saved.").wait_for()
    assert shop.configure()["businessName"] == "Preview Shop"


def test_widget_reconnects_after_the_connection_drops(shop: Shop, page: Any) -> None:
    sockets: list[Any] = []

    def relay(ws: Any) -> None:
        ws.connect_to_server()
        sockets.append(ws)

    page.route_web_socket(re.compile(r"/ws\?token="), relay)
    page.goto(shop.site.page("index.html", shop.embed))
    open_widget(page)
    send(page, "Can I talk to a person?")
    bubble = page.locator("repdesk-widget .msg.in").first
    for _ in range(100):
        if bubble.get_attribute("data-id"):
            break
        page.wait_for_timeout(100)
    assert len(sockets) == 1
    sockets[0].close()  # the network drops the connection
    for _ in range(100):
        if len(sockets) == 2:
            break
        page.wait_for_timeout(100)
    assert len(sockets) == 2, "the widget did not reconnect"
    conv = wait_for(shop.conversations)[0]
    shop.api.patch(f"/api/conversations/{conv['id']}", json={"automationEnabled": False})
    r = shop.api.post(f"/api/conversations/{conv['id']}/messages", json={"text": "Back online?"})
    assert r.status_code == 201
    page.locator("repdesk-widget .msg.out[data-sender=agent]").wait_for(timeout=15000)
