"""A shop owner, in a real browser: writes a marketing template with an image header and
buttons, watches the WhatsApp preview follow the typing (and the checks refuse a bad name),
submits it to (the fake) Meta, and sees it approved once Meta's status webhook arrives."""

from __future__ import annotations

import os
import re
import time
from typing import Any

import pytest

from repdesk.kit.http import close_shared_client
from tests.conftest import LiveServer
from tests.factories import run_sync
from tests.fakes.graph import FakeGraph
from tests.inbox.test_inbox_browser import EMAIL, PASSWORD, setup
from tests.whatsapp.helpers import APP_SECRET

pytestmark = pytest.mark.browser
SCREENSHOT = os.environ.get("REPDESK_TEMPLATES_SCREENSHOT")  # a path, to look at the page

# A 1x1 PNG.
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c489"
    "0000000d49444154789c6360f8cfc0f01f0005000201e5273ba20000000049454e44ae426082"
)


async def connect(database_url: str) -> tuple[str, str]:
    """The inbox test's owner and connected number, made on a loop of its own (which closes
    the HTTP pool the connection check opened on it)."""
    try:
        return await setup(database_url)
    finally:
        await close_shared_client()


def test_create_an_image_template_watch_the_preview_submit_and_see_it_approved(
    live_server: LiveServer, graph: FakeGraph, database_url: str, page: Any
) -> None:
    aid, path = run_sync(connect(database_url))
    page.goto(f"{live_server.url}/login")
    page.get_by_label("Email").fill(EMAIL)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url("**/dashboard")
    page.goto(f"{live_server.url}/assistants/{aid}/templates")

    preview_body = page.get_by_test_id("tpl-preview-body")
    errors = page.get_by_test_id("tpl-errors")
    page.locator("#tpl-name").fill("Shoe Drop")
    assert "name: use only lowercase letters" in errors.inner_text()
    page.locator("#tpl-name").fill("shoe_drop")
    page.locator("#tpl-category").select_option("MARKETING")

    page.locator("#tpl-header-kind").select_option("IMAGE")
    assert "header.example.header_handle" in errors.inner_text()
    page.locator("#tpl-header-file").set_input_files(
        {"name": "shoe.png", "mimeType": "image/png", "buffer": PNG}
    )
    page.get_by_test_id("tpl-preview-image").wait_for()

    page.locator("#tpl-body").fill("Hi {{1}}, the *new* sneakers are in: {{2}} off today.")
    assert "body.example.body_text[0]: is required" in errors.inner_text()
    page.get_by_label("Example for {{1}}", exact=True).fill("Ada")
    page.get_by_label("Example for {{2}}", exact=True).fill("20%")
    page.wait_for_function(
        "document.querySelector('[data-testid=tpl-preview-body]').textContent"
        ".startsWith('Hi Ada, the new sneakers are in: 20% off today.')"
    )
    assert preview_body.locator("strong").inner_text() == "new"  # WhatsApp's *bold*
    page.locator("#tpl-footer").fill("Reply STOP to opt out")
    assert page.get_by_test_id("tpl-preview-footer").inner_text() == "Reply STOP to opt out"

    page.get_by_role("button", name="+ Quick reply").click()
    page.get_by_label("Button text").first.fill("Show me")
    page.get_by_role("button", name="+ Website").click()
    page.get_by_label("Button text").nth(1).fill("Shop now")
    page.get_by_label("https://… (may end in {{1}})").fill("https://shop.example/drops/{{1}}")
    assert "buttons[1].example: must be the full example address" in errors.inner_text()
    page.get_by_label("Example full address").fill("https://shop.example/drops/spring")
    buttons = page.get_by_test_id("tpl-preview-buttons")
    assert "Show me" in buttons.inner_text() and "Shop now" in buttons.inner_text()
    assert errors.inner_text().strip() == ""
    if SCREENSHOT:
        page.screenshot(path=SCREENSHOT, full_page=True)

    page.get_by_role("button", name="Submit to Meta").click()
    page.get_by_role("status").filter(has_text="pending review").wait_for()
    row = page.locator('tr[data-template="shoe_drop"]')
    assert row.get_by_test_id("template-status").inner_text() == "pending"
    created = next(
        t for t in graph.templates[graph.business_account_id] if t["name"] == "shoe_drop"
    )
    header, body, footer, btns = created["components"]
    assert (
        header["format"] == "IMAGE" and graph.handles[header["example"]["header_handle"][0]] == PNG
    )
    assert body["example"] == {"body_text": [["Ada", "20%"]]}
    assert footer == {"type": "FOOTER", "text": "Reply STOP to opt out"}
    assert [b["type"] for b in btns["buttons"]] == ["QUICK_REPLY", "URL"]

    # Meta approves it: the fake posts the signed status webhook to the number's webhook URL.
    url = f"{live_server.url}/webhooks/whatsapp_cloud/{path}"
    assert graph.send_status(url, APP_SECRET, created["id"], "APPROVED") == 200
    deadline = time.time() + 15
    status = ""
    while time.time() < deadline:
        page.reload()
        status = row.get_by_test_id("template-status").inner_text()
        if status == "approved":
            break
        time.sleep(0.2)
    assert status == "approved"
    assert re.search(r"marketing", row.inner_text())
